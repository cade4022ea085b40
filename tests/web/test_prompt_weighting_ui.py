"""Choosing the prompt weighting in the preset editor and on the checkpoint page; the image
details show it when it is A1111's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from gaze.gallery.cards import ImageCard
from gaze.gallery.detail import ImageDetail
from gaze.web.pages.checkpoints import settings_document
from gaze.web.preset_form import editor_state, preset_document
from gaze.web.views.image_details import image_details

DEMO = "gaze-demo-sd15-tiny.safetensors"
WEIGHTING = 'select[name="prompt_weighting"]'


def test_the_editor_fields_carry_the_weighting_and_blank_inherits() -> None:
    chosen = preset_document({"name": ["P"], "prompt_weighting": ["a1111"]})
    assert chosen["prompt_weighting"] == "a1111"
    assert editor_state(chosen)["prompt_weighting"] == "a1111"
    inherited = preset_document({"name": ["P"], "prompt_weighting": [""]})
    assert "prompt_weighting" not in inherited
    assert editor_state(inherited)["prompt_weighting"] == ""
    assert settings_document({"prompt_weighting": "comfyui"}, DEMO)["prompt_weighting"] == "comfyui"
    assert "prompt_weighting" not in settings_document({"prompt_weighting": ""}, DEMO)


def _details(spec: dict[str, Any]) -> dict[str, Any]:
    card = ImageCard(1, "x/1.png", 64, 64, "5", None, False, False, datetime.now(UTC))
    detail = ImageDetail(card, DEMO, "local", "job", spec, {}, None, None)
    return image_details(detail)["parameters"]


def test_image_details_show_the_weighting_only_when_it_is_a1111() -> None:
    spec = {"steps": 4, "cfg": 7.0, "sampler": "euler", "scheduler": "normal"}
    assert _details({**spec, "prompt_weighting": "comfyui"}) == spec
    assert _details(spec) == spec
    assert _details({**spec, "prompt_weighting": "a1111"}) == {**spec, "prompt_weighting": "A1111"}


def test_the_preset_editor_saves_and_reloads_the_weighting(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/presets/new")
    page.fill("[data-name]", "Weighted Words")
    expect(page.locator(WEIGHTING)).to_have_value("")
    page.select_option(WEIGHTING, label="A1111")
    page.click("[data-save]")
    page.wait_for_url("**/presets/weighted_words")
    assert ui_server.get("/api/v1/presets/weighted_words").json()["prompt_weighting"] == "a1111"
    page.goto("/presets/weighted_words/edit")
    expect(page.locator(WEIGHTING)).to_have_value("a1111")
    page.select_option(WEIGHTING, label="inherit")
    page.click("[data-save]")
    page.wait_for_url("**/presets/weighted_words")
    assert ui_server.get("/api/v1/presets/weighted_words").json()["prompt_weighting"] is None


def test_the_checkpoint_page_saves_and_reloads_the_weighting(
    page: Page, ui_server: GazeServer
) -> None:
    edit = f"/checkpoints/edit?path={DEMO}"
    page.goto(edit)
    expect(page.locator(WEIGHTING)).to_have_value("")
    expect(page.locator(f"{WEIGHTING} option:checked")).to_have_text("default (ComfyUI)")
    page.select_option(WEIGHTING, label="A1111")
    page.click("text=Save")
    page.wait_for_url("**/checkpoints")
    settings = ui_server.get(f"/api/v1/checkpoints/{DEMO}").json()["settings"]
    assert settings["prompt_weighting"] == "a1111"
    page.goto(edit)
    expect(page.locator(WEIGHTING)).to_have_value("a1111")
