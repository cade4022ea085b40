"""The resource editor shows a picked LoRA file's base model, rank and trigger words."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from devkit.tiny_lora import kohya_training_metadata, write_tiny_lora
from tests.support.ids import unique_id


def test_picking_a_lora_shows_its_metadata_and_fills_the_triggers(
    page: Page, ui_server: GazeServer
) -> None:
    folder = unique_id("meta")
    path = ui_server.data_dir / "models" / "loras" / folder / "style.safetensors"
    write_tiny_lora(path, "sdxl", metadata=kohya_training_metadata("sdxl"))

    page.goto("/library/styles/new")
    info = page.locator("[data-lora-info]")
    expect(info).to_be_hidden()
    page.fill('input[name="lora.file"]', f"{folder}/style.safetensors")

    expect(info.locator("[data-lora-facts]")).to_have_text(
        "Base model: sdxl_base_v1-0 · rank 4 · alpha 2"
    )
    expect(info.locator("[data-lora-trigger-words]")).to_have_text(
        "Trigger words: gazestyle, 1girl, watercolor"
    )
    triggers = page.locator('input[name="lora.triggers"]')
    expect(triggers).to_have_value("gazestyle, 1girl, watercolor")

    triggers.fill("")
    info.locator("[data-use-trigger-words]").click()
    expect(triggers).to_have_value("gazestyle, 1girl, watercolor")

    page.fill('input[name="lora.file"]', "nowhere/else.safetensors")
    expect(info).to_be_hidden()
