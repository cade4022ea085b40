"""Presets in the browser: the grid, the editor, generating with results in place."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, expect

from devkit.server import GazeServer

# Records every state a result tile goes through (its class names), from page start.
TILE_RECORDER = """() => {
  window.tileStates = [];
  const record = (tile, extra) => window.tileStates.push(
    tile.className + '|' + tile.textContent + extra);
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      const tile = mutation.target.closest && mutation.target.closest('.tile');
      if (tile) record(tile, '');
      for (const node of mutation.addedNodes) {
        if (node.classList && node.classList.contains('tile')) {
          record(node, '|progress=' + !!node.querySelector('.progress'));
        }
      }
    }
  }).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def test_the_grid_lists_presets_with_covers_and_filters(page: Page) -> None:
    page.goto("/")
    cards = page.locator("#preset-cards .card")
    expect(cards).to_have_count(4)
    expect(page.locator(".card-title", has_text="Example Preset")).to_be_visible()
    expect(
        page.locator('#preset-cards .card img[src*="/static/uploads/presets/example_01/"]')
    ).to_have_count(1)
    page.fill('.toolbar input[name="q"]', "painted")
    page.press('.toolbar input[name="q"]', "Enter")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Painted Outdoors")


def test_favourites_come_first_and_filter(page: Page) -> None:
    page.goto("/")
    plain = page.locator("#preset-cards .card", has_text="Plain Prompt")
    plain.hover()
    plain.locator('button[title="Add to favourites"]').click()
    expect(plain.locator("button.flag.fav")).to_be_visible()
    page.reload()
    expect(page.locator("#preset-cards .card").first).to_contain_text("Plain Prompt")
    page.locator(".toolbar .chip-toggle").click()
    page.wait_for_url(re.compile(r"fav=1"))
    expect(page.locator("#preset-cards .card")).to_have_count(1)


def test_create_a_preset_with_the_editor(page: Page, ui_server: GazeServer) -> None:
    page.goto("/presets/new")
    page.fill("[data-name]", "Coast Walk")
    expect(page.locator("[data-id]")).to_have_value("coast_walk")
    characters = page.locator('.editor-slot[data-category="characters"]')
    characters.locator(".mode-choice label", has_text="Fixed").click()
    characters.locator("select[data-fixed]").select_option("aria_vale")
    characters.locator(".fields-choice label", has_text="Choose").click()
    characters.locator('[data-address="identity::base"] input').check()
    characters.locator('[data-address="identity::hair"] input').check()
    scenes = page.locator('.editor-slot[data-category="scenes"]')
    scenes.locator(".mode-choice label", has_text="Random").click()
    scenes.locator(".pool-choice label", has_text="A tag").click()
    scenes.locator('input[name="scenes.pool_key"]').fill("scene_type")
    scenes.locator('input[name="scenes.pool_value"]').fill("outdoor")
    detailers = page.locator('.editor-slot[data-category="detailers"]')
    detailers.locator(".mode-choice label", has_text="Fixed").click()
    detailers.locator("select[data-fixed]").select_option(["sharp_details"])
    page.select_option('select[name="checkpoint"]', "gaze-demo-sd15-tiny.safetensors")
    page.fill('textarea[name="positive"]', "looking at the sea")
    page.click("[data-save]")

    page.wait_for_url("**/presets/coast_walk")
    expect(page.locator("h1")).to_have_text("Coast Walk")
    expect(page.locator('[data-slot="characters"]')).to_contain_text("Aria Vale")
    expect(page.locator('[data-slot="scenes"]')).to_contain_text("scene_type = outdoor")
    prompt = page.locator('[data-resolved="prompt"]')
    expect(prompt).to_contain_text("silver hair")
    expect(prompt).not_to_contain_text("amber eyes")  # identity::eyes was not chosen
    expect(prompt).to_contain_text("looking at the sea")
    listed = ui_server.get("/api/v1/presets").json()["presets"]
    assert {"preset_id": "coast_walk", "slug": "coast_walk", "name": "Coast Walk"}.items() <= next(
        p for p in listed if p["slug"] == "coast_walk"
    ).items()


def test_the_editor_shows_the_problems_of_a_refused_preset(page: Page) -> None:
    page.goto("/presets/new")
    page.fill("[data-name]", "Broken")
    characters = page.locator('.editor-slot[data-category="characters"]')
    characters.locator(".mode-choice label", has_text="Fixed").click()  # but no character chosen
    page.click("[data-save]")
    expect(page.locator("[data-problems]")).to_contain_text("characters")
    expect(page.locator("[data-name]")).to_have_value("Broken")


def test_edit_duplicate_and_delete_a_preset(page: Page, ui_server: GazeServer) -> None:
    page.goto("/presets/example_02")
    page.click("text=Duplicate")
    page.wait_for_url("**/presets/example_02_copy/edit")
    page.fill("[data-name]", "Sketchbook Twin")
    page.click("[data-save]")
    page.wait_for_url("**/presets/example_02_copy")
    expect(page.locator("h1")).to_have_text("Sketchbook Twin")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/delete'] button")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("[data-notice]")).to_contain_text("Deleted the preset Sketchbook Twin")
    slugs = [p["slug"] for p in ui_server.get("/api/v1/presets").json()["presets"]]
    assert "example_02_copy" not in slugs


def test_the_prompt_follows_the_seed_and_the_extra_text(page: Page) -> None:
    page.goto("/presets/example_01")
    page.fill("[data-seed]", "1234")
    expect(page.locator("[data-resolved-seed]")).to_have_text("for seed 1234")
    first = page.locator('[data-resolved="prompt"]').inner_text()
    page.fill('[data-extra="positive"]', "holding a red umbrella")
    expect(page.locator('[data-resolved="prompt"]')).to_contain_text("holding a red umbrella")
    page.fill('[data-extra="positive"]', "")
    expect(page.locator('[data-resolved="prompt"]')).to_have_text(first)
    # the extra text is remembered for this preset
    page.fill('[data-extra="negative"]', "text, logo")
    page.reload()
    expect(page.locator('[data-extra="negative"]')).to_have_value("text, logo")


def test_generate_three_images_that_appear_with_progress(page: Page, ui_server: GazeServer) -> None:
    page.goto("/presets/example_01")
    page.evaluate(TILE_RECORDER)
    page.fill("[data-count]", "3")
    page.locator(".segmented label", has_text="Custom").click()
    page.fill("[data-width]", "128")
    page.fill("[data-height]", "128")
    page.fill("[data-seed]", "777")
    page.click("[data-generate-button]")
    tiles = page.locator("[data-results] .tile")
    expect(tiles).to_have_count(3)
    expect(page.locator("[data-results] .tile img")).to_have_count(3, timeout=120_000)
    for index in range(3):
        loaded = (
            page.locator("[data-results] .tile img")
            .nth(index)
            .evaluate("img => img.complete && img.naturalWidth")
        )
        assert loaded == 128
    states: list[str] = page.evaluate("window.tileStates")
    assert any("progress=true" in state for state in states), states
    assert any(state.startswith("tile processing") for state in states), states
    expect(page.locator("[data-results-summary]")).to_have_text("3 done")
    # the seeds were 777, 778, 779 and "reuse last seed" offers the last one used
    seeds = sorted(
        page.locator("[data-results] .tile img").evaluate_all("imgs => imgs.map(i => i.alt)")
    )
    assert seeds == ["Seed 777", "Seed 778", "Seed 779"]
    page.fill("[data-seed]", "")
    page.click("[data-reuse-seed]")
    expect(page.locator("[data-seed]")).not_to_have_value("")


def test_endless_keeps_queueing_until_stopped(page: Page, ui_server: GazeServer) -> None:
    page.goto("/presets/example_04")
    page.locator(".segmented label", has_text="Custom").click()
    page.fill("[data-width]", "64")
    page.fill("[data-height]", "64")
    page.click("[data-endless]")
    expect(page.locator("[data-endless]")).to_have_text("Stop")
    images = page.locator("[data-results] .tile img")
    deadline = time.monotonic() + 120
    while images.count() < 3:
        assert time.monotonic() < deadline, "Endless did not queue three images"
        page.wait_for_timeout(200)
    page.click("[data-endless]")
    expect(page.locator("[data-endless]")).to_have_text("Endless")
    added = "Number(document.querySelector('[data-results]').dataset.added)"
    page.wait_for_timeout(1500)
    settled = page.evaluate(added)
    page.wait_for_timeout(2500)
    assert page.evaluate(added) == settled
    assert page.locator("[data-results] .tile").count() <= 60


def test_a_generation_error_is_shown_beside_the_panel(page: Page) -> None:
    page.goto("/presets/example_01")
    page.select_option("[data-checkpoint]", index=0)
    page.evaluate(
        "() => { const o = document.createElement('option'); o.value = 'missing.safetensors';"
        " o.text = 'missing'; document.querySelector('[data-checkpoint]').append(o); }"
    )
    page.select_option("[data-checkpoint]", "missing.safetensors")
    page.click("[data-generate-button]")
    expect(page.locator("[data-generate-error]")).to_contain_text("missing.safetensors")


def test_generating_without_script_queues_and_comes_back(ui_server: GazeServer) -> None:
    with httpx.Client(base_url=ui_server.url) as client:
        client.get("/presets/example_04")
        token = client.cookies["gaze_csrf"]
        answer = client.post(
            "/presets/example_04/generate",
            data={"csrf_token": token, "count": "1", "width": "64", "height": "64"},
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/presets/example_04"
