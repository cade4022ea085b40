"""The library resource editor: new fields are used by default, a LoRA no backend has is saved
with a warning, and every error a script receives has a code that names it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from devkit.server import GazeServer

WEB_SOURCES = Path(__file__).resolve().parents[2] / "src" / "gaze" / "web"


def test_a_new_characters_fields_are_used_by_default_and_shown_on_the_preset(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/library/characters/new")
    boxes = page.locator('.kv-row input[type="checkbox"]')
    expect(boxes).to_have_count(2)
    for index in range(2):
        expect(boxes.nth(index)).to_be_checked()
    page.fill("[data-name]", "Tove Lind")
    page.fill('textarea[name="f.1_1.value"]', "1girl, tove lind, silver hair")
    identity = page.locator(".section-block", has=page.locator('input[value="identity"]'))
    identity.locator("[data-add-row]").click()
    added = identity.locator(".kv-row").last
    expect(added.locator('input[type="checkbox"]')).to_be_checked()
    added.locator("input:not([type])").fill("eyes")
    added.locator("textarea").fill("green eyes")
    page.click("[data-save]")
    expect(page.locator("[data-notice]")).to_contain_text("Created Tove Lind")

    page.goto("/presets/new")
    page.fill("[data-name]", "Tove Portrait")
    characters = page.locator('.editor-slot[data-category="characters"]')
    characters.locator(".mode-choice label", has_text="Fixed").click()
    characters.locator("select[data-fixed]").select_option("tove_lind")
    page.click("[data-save]")
    page.wait_for_url("**/presets/tove_portrait")
    fields = page.locator('[data-slot-fields="characters"]')
    expect(fields).to_contain_text("identity::base")
    expect(fields).to_contain_text("identity::eyes")
    expect(page.locator("#resolved-prompt")).to_contain_text("silver hair")


def test_the_api_uses_every_field_when_a_new_resource_names_no_defaults(
    ui_server: GazeServer,
) -> None:
    created = httpx.post(
        f"{ui_server.url}/api/v1/scenes",
        headers=ui_server.headers,
        json={"id": "quiet_pier", "name": "Quiet Pier", "fields": {"scene": {"place": "pier"}}},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    assert created.json()["default_fields"] == ["scene::place"]


def test_a_lora_no_backend_has_is_saved_with_a_warning(page: Page, ui_server: GazeServer) -> None:
    page.goto("/library/styles/watercolor")
    page.fill('input[name="lora.file"]', "nowhere/ghost.safetensors")
    page.click("[data-save]")
    notice = page.locator("[data-notice].warning")
    expect(notice).to_contain_text("Saved")
    expect(notice).to_contain_text(
        "lora: file 'nowhere/ghost.safetensors' is not in models/loras or on any backend"
    )
    answer = httpx.patch(
        f"{ui_server.url}/api/v1/styles/watercolor",
        headers=ui_server.headers,
        json={"description": "still ghostly"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["warnings"] == [
        "lora: file 'nowhere/ghost.safetensors' is not in models/loras or on any backend"
    ]
    cleared = httpx.patch(
        f"{ui_server.url}/api/v1/styles/watercolor",
        headers=ui_server.headers,
        json={"lora": None},
        timeout=30,
    )
    assert "warnings" not in cleared.json()


def test_the_preview_error_code_names_the_problem(page: Page) -> None:
    page.goto("/library/scenes/night_market")
    token = page.locator('input[name="csrf_token"]').first.input_value()
    answer = page.request.post(
        "/library/scenes/night_market/preview",
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
        form={"seed": "not a number"},
    )
    assert answer.status == 400
    assert answer.json()["code"] == "invalid_seed"
    missing = page.request.post(
        "/library/nonsense/x/preview", headers={"X-CSRF-Token": token}, form={}
    )
    assert missing.status == 404
    assert missing.json()["code"] == "unknown_category"


def test_every_page_error_names_its_own_code() -> None:
    """PageError takes a code at every raise site: none is derived from a page title."""
    raise_sites = 0
    for source in WEB_SOURCES.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for match in re.finditer(r"PageError\((.*?)\)(?: from None)?\n", text, re.DOTALL):
            if match.group(0).startswith("PageError(Exception"):
                continue
            raise_sites += 1
            assert "code=" in match.group(1), f"{source.name}: {match.group(0)!r}"
    assert raise_sites >= 20
    titles = {"that_did_not_work", "not_found", "conflict", "not_allowed", "something_went_wrong"}
    page_errors = (WEB_SOURCES / "page_errors.py").read_text(encoding="utf-8")
    assert ".title.lower()" not in page_errors
    assert not any(f'"{title}"' in page_errors for title in titles)


def _wardrobe(ui_server: GazeServer, character: str) -> tuple[dict[str, object], str | None]:
    stored = httpx.get(
        f"{ui_server.url}/api/v1/characters/{character}", headers=ui_server.headers, timeout=30
    ).json()
    wardrobe = {
        name: {key: value for key, value in outfit.items() if value is not None}
        for name, outfit in stored["wardrobe"].items()
    }
    return wardrobe, stored["active_outfit"]


def test_the_wardrobe_is_edited_with_a_form(page: Page, ui_server: GazeServer) -> None:
    page.goto("/library/characters/aria_vale")
    rows = page.locator("[data-wardrobe-row]")
    travel = rows.filter(has=page.locator('input[value="travel"]'))
    expect(travel.locator("textarea")).to_have_value(
        "top: green hooded cloak, white blouse\nbottom: brown trousers\nshoes: leather boots"
    )
    gala = rows.filter(has=page.locator('input[value="gala"]'))
    expect(gala.locator("select")).to_have_value("evening_gown")
    gala.locator("[data-remove-outfit]").click()
    travel.locator("textarea").fill("top: white blouse\nhat: straw hat")
    page.click("[data-add-outfit]")
    added = rows.last
    added.locator('input[name$=".name"]').fill("rainy")
    added.locator("select").select_option("rain_jacket")
    added.locator('input[type="radio"]').check()
    page.click("[data-save]")
    expect(page.locator("[data-notice]")).to_contain_text("Saved Aria Vale")
    wardrobe, active = _wardrobe(ui_server, "aria_vale")
    assert wardrobe == {
        "travel": {"fields": {"top": "white blouse", "hat": "straw hat"}},
        "rainy": {"outfit_id": "rain_jacket"},
    }
    assert active == "rainy"


def test_the_wardrobe_form_works_without_script(page: Page, ui_server: GazeServer) -> None:
    context = page.context.browser.new_context(  # type: ignore[union-attr]
        base_url=ui_server.url, java_script_enabled=False
    )
    try:
        plain = context.new_page()
        plain.goto("/library/characters/kenji_arata")
        blank = plain.locator("[data-wardrobe-row]").last
        blank.locator('input[name$=".name"]').fill("formal")
        blank.locator("textarea").fill("black suit, red tie")
        plain.click("[data-save]")
        expect(plain.locator("[data-notice]")).to_contain_text("Saved Kenji")
    finally:
        context.close()
    wardrobe, active = _wardrobe(ui_server, "kenji_arata")
    assert wardrobe == {
        "workshop": {"fields": {"outfit": "orange jumpsuit, rolled sleeves, oil stains"}},
        "formal": {"fields": {"outfit": "black suit, red tie"}},
    }
    assert active == "workshop"
