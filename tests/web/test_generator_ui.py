"""The Generator page in a real browser: a fixed character and a random outfit change the
resolved prompt as they are picked, one 64x64 image on the tiny checkpoint appears in place,
the address keeps the state, "Save as preset" lands on the new preset, and a preset opens in
the Generator."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Page, expect

from tests.support.ids import unique_id

TINY = "gaze-demo-sd15-tiny.safetensors"


def recipe_in_address(page: Page) -> dict[str, object]:
    return dict(json.loads(parse_qs(urlsplit(page.url).query)["recipe"][0]))


def test_pick_a_character_and_a_random_outfit_then_generate(page: Page) -> None:
    page.goto("/generator")
    expect(page.locator('nav a[href="/generator"]')).to_have_attribute("aria-current", "page")
    prompt = page.locator('[data-resolved="prompt"]')
    characters = page.locator('.editor-slot[data-category="characters"]')
    characters.locator("label", has_text="Fixed").click()
    characters.locator('[data-select-filter="characters.id"]').fill("mira")
    expect(
        characters.locator('select[name="characters.id"] option[value="aria_vale"]')
    ).to_be_hidden()
    characters.locator('select[name="characters.id"]').select_option("mira_holt")
    expect(prompt).to_contain_text("red hair")
    expect(page.locator('[data-pick="characters"]')).to_have_text("→ Mira Holt")
    expect(page.locator('[data-pick="outfits"]')).to_have_text("")

    outfits = page.locator('.editor-slot[data-category="outfits"]')
    outfits.locator("label", has_text="Random").click()
    outfits.locator("label", has_text="A list").click()
    outfits.locator('select[name="outfits.pool_ids"]').select_option(["rain_jacket"])
    expect(page.locator('[data-pick="outfits"]')).to_have_text("→ Rain Jacket")
    expect(prompt).to_contain_text("rain")
    recipe = recipe_in_address(page)
    assert recipe["outfits"] == {"mode": "random", "pool": {"kind": "list", "ids": ["rain_jacket"]}}

    page.locator('input[name="size_mode"][value="custom"]').check()
    page.fill('input[name="width"]', "64")
    page.fill('input[name="height"]', "64")
    page.fill('input[name="steps"]', "2")
    page.select_option('select[name="checkpoint"]', TINY)
    seed_line = page.locator("[data-resolved-seed]")
    page.click("[data-new-seed]")
    seed = page.locator("[data-seed]").input_value()
    expect(seed_line).to_have_text(f"for seed {seed}")
    expect(page.locator('[data-resolved="size"]')).to_have_text("64×64")
    page.click("[data-generate-button]")
    tile = page.locator("[data-results] .tile")
    expect(tile).to_have_count(1)
    expect(tile.locator("img")).to_be_visible(timeout=120_000)
    expect(tile.locator(".tile-facts")).to_contain_text(f"Seed {seed}")
    expect(tile.locator(".tile-facts")).to_contain_text("Mira Holt")
    assert tile.locator("img").evaluate("img => img.naturalWidth") == 64

    page.reload()
    expect(page.locator('select[name="characters.id"]')).to_have_value("mira_holt")
    expect(page.locator("[data-seed]")).to_have_value(seed)
    expect(page.locator('[data-pick="outfits"]')).to_have_text("→ Rain Jacket")


def test_an_unknown_pick_is_shown_inline(page: Page) -> None:
    recipe = {"slots": {"scenes": "no_such_scene"}, "checkpoint": TINY}
    page.goto(f"/generator?{urlencode({'recipe': json.dumps(recipe)})}")
    error = page.locator("[data-resolve-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("no_such_scene")
    page.locator('.editor-slot[data-category="scenes"] label', has_text="Not used").click()
    expect(error).to_be_hidden()


def test_save_as_preset_and_land_on_its_page(page: Page) -> None:
    page.goto("/generator")
    characters = page.locator('.editor-slot[data-category="characters"]')
    characters.locator("label", has_text="Fixed").click()
    characters.locator('select[name="characters.id"]').select_option("kenji_arata")
    name = unique_id("Kenji Composed")
    page.fill("[data-preset-name]", name)
    page.click("[data-save-preset]")
    expect(page).to_have_url(re.compile(r"/presets/kenji_composed"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("[data-notice]")).to_contain_text("Saved")
    expect(page.locator('[data-slot="characters"]')).to_contain_text("Kenji")

    page.goto("/generator")
    page.fill("[data-preset-name]", name)
    page.click("[data-save-preset]")
    expect(page.locator("[data-save-problems]")).to_contain_text("already exists")


def test_open_a_preset_in_the_generator(page: Page) -> None:
    page.goto("/presets/example_02")
    page.click("[data-open-generator]")
    expect(page).to_have_url(re.compile(r"/generator\?from=example_02$"))
    expect(page.locator('select[name="actions.id"]')).to_have_value("reading_book")
    expect(page.locator('select[name="styles.id"]')).to_have_value("ink_sketch")
    expect(page.locator('input[name="steps"]')).to_have_value("16")
    expect(page.locator('[data-resolved="size"]')).to_have_text("512×512")
    expect(page.locator('[data-pick="scenes"]')).to_have_text(re.compile("→ (Forest|Lighthouse)"))
    page.fill('input[name="steps"]', "3")
    page.wait_for_url(re.compile(r"/generator\?recipe="))
    assert recipe_in_address(page)["steps"] == 3
