"""The preset editor's defaults generate, and a preset that cannot generate says so."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from devkit.server import GazeServer

DEMO_CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


def test_a_new_preset_starts_on_a_checkpoint_a_backend_has(page: Page) -> None:
    page.goto("/presets/new")
    expect(page.locator('select[name="checkpoint"]')).to_have_value(DEMO_CHECKPOINT)
    page.fill("[data-name]", "Defaults Only")
    page.click("[data-save]")
    page.wait_for_url("**/presets/defaults_only")
    expect(page.locator("[data-notice].ok")).to_contain_text("Created Defaults Only.")
    expect(page.locator("[data-generation-problems]")).to_have_count(0)


def test_a_preset_that_cannot_generate_is_saved_with_a_visible_warning(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/presets/new")
    page.fill("[data-name]", "Nothing To Pick")
    characters = page.locator('.editor-slot[data-category="characters"]')
    characters.locator(".pool-choice label", has_text="A tag").click()
    characters.locator('input[name="characters.pool_key"]').fill("origin")
    characters.locator('input[name="characters.pool_value"]').fill("nowhere")
    page.select_option('select[name="checkpoint"]', "")
    page.click("[data-save]")
    page.wait_for_url("**/presets/nothing_to_pick")
    notice = page.locator("[data-notice].warning")
    expect(notice).to_contain_text("cannot generate yet")
    warning = page.locator("[data-generation-problems]")
    expect(warning).to_contain_text("This preset cannot generate yet")
    expect(warning).to_contain_text("checkpoint: none is set")
    expect(warning).to_contain_text("characters: random, but the library has no characters")
    answer = httpx.post(
        f"{ui_server.url}/api/v1/generate/nothing_to_pick",
        headers=ui_server.headers,
        json={"count": 1},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "preset_unresolvable"
    assert "no checkpoint" in answer.json()["error"]
