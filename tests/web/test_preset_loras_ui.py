"""A preset's own LoRAs in the browser: chosen in the editor's LoRA rows from the installed
files, saved, shown again and kept when the preset is edited; the Generator shows a recipe's
LoRAs in the same rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from devkit.server import GazeServer, copy_data
from devkit.tiny_lora import write_tiny_lora
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

LORA = "styles/tiny_ink.safetensors"
CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


@pytest.fixture(scope="module")
def ui_server(
    gaze_servers: GazeServers, prepared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GazeServer]:
    """This module's server: the prepared data with one tiny SD1 LoRA installed."""
    data = copy_data(prepared_data, tmp_path_factory.mktemp("lora_ui") / "data")
    path = data / "models" / "loras" / LORA
    path.parent.mkdir(parents=True)
    write_tiny_lora(path, "sd1", seed=7)
    with gaze_servers.running(data_dir=data, env=SHARED_SERVER_ENV) as running:
        yield running


def test_a_lora_chosen_in_the_editor_is_saved_shown_and_kept(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/presets/new")
    page.fill("[data-name]", "Inked Coast")
    page.select_option('select[name="checkpoint"]', CHECKPOINT)
    first = page.locator("[data-lora-row]").first
    first.locator('select[name="loras.file"]').select_option(LORA)
    first.locator('input[name="loras.weight"]').fill("0.7")
    first.locator('input[name="loras.triggers"]').fill("inked lines")
    page.click("[data-save]")

    page.wait_for_url("**/presets/inked_coast")
    expect(page.locator('[data-resolved="prompt"]')).to_contain_text("inked lines")
    stored = ui_server.get("/api/v1/presets/inked_coast").json()
    assert stored["loras"] == [
        {"file": LORA, "weight": 0.7, "clip_weight": None, "triggers": ["inked lines"]}
    ]

    page.goto("/presets/inked_coast/edit")
    rows = page.locator("[data-lora-row]")
    expect(rows.first.locator('select[name="loras.file"]')).to_have_value(LORA)
    expect(rows.first.locator('input[name="loras.weight"]')).to_have_value("0.7")
    expect(rows.nth(1).locator('select[name="loras.file"]')).to_have_value("")
    page.fill('textarea[name="positive"]', "by the sea")
    page.click("[data-save]")
    page.wait_for_url("**/presets/inked_coast")
    assert ui_server.get("/api/v1/presets/inked_coast").json()["loras"] == stored["loras"]


def test_the_generator_shows_a_recipes_loras(page: Page) -> None:
    recipe = {"checkpoint": CHECKPOINT, "loras": [{"file": LORA, "weight": 0.4}]}
    page.goto(f"/generator?{urlencode({'recipe': json.dumps(recipe)})}")

    row = page.locator("[data-lora-row]").first
    expect(row.locator('select[name="loras.file"]')).to_have_value(LORA)
    expect(row.locator('input[name="loras.weight"]')).to_have_value("0.4")
