"""Saving a preset whose fixed checkpoint does not fit a fixed resource's LoRA is refused, on a
real SQLite database (a copy of a prepared data folder) with tiny LoRA files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.tiny_lora import kohya_training_metadata, write_tiny_lora
from gaze.db.connection import Database
from gaze.library.service import LibraryService
from gaze.presets.service import PresetService
from gaze.presets.usage import presets_using
from gaze.service_errors import Invalid

SD1_CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


@pytest.fixture
def database(fresh_data: Path) -> Iterator[Database]:
    opened = Database(f"sqlite:///{fresh_data / 'gaze.db'}")
    yield opened
    opened.dispose()


@pytest.fixture
def presets(database: Database, fresh_data: Path) -> PresetService:
    loras = fresh_data / "models" / "loras"
    write_tiny_lora(loras / "xl.safetensors", "sdxl", metadata=kohya_training_metadata("sdxl"))
    write_tiny_lora(loras / "one.safetensors", "sd1", metadata=kohya_training_metadata("sd1"))
    write_tiny_lora(loras / "plain.safetensors", "sd1")
    library = LibraryService(database, fresh_data / "uploads", outside_users=presets_using)
    for style_id, lora_file in (("xl_ink", "xl.safetensors"), ("ink", "one.safetensors")):
        library.create("styles", {"id": style_id, "name": style_id, "lora": {"file": lora_file}})
    library.create("styles", {"id": "bare", "name": "Bare", "lora": {"file": "plain.safetensors"}})
    return PresetService(
        database, fresh_data / "uploads", checkpoints_dir=fresh_data / "models" / "checkpoints"
    )


def test_a_fixed_sdxl_lora_under_an_sd1_checkpoint_is_refused(presets: PresetService) -> None:
    with pytest.raises(Invalid) as refused:
        presets.create(
            {
                "id": "mismatch",
                "name": "Mismatch",
                "checkpoint": SD1_CHECKPOINT,
                "styles": {"mode": "fixed", "id": "xl_ink"},
            }
        )

    message = str(refused.value.problems)
    assert "xl.safetensors" in message
    assert SD1_CHECKPOINT in message
    assert "sdxl" in message and "sd1" in message
    assert presets.get("mismatch") is None


@pytest.mark.parametrize("style_id", ["ink", "bare"])
def test_a_fitting_or_unknown_lora_is_saved(presets: PresetService, style_id: str) -> None:
    saved = presets.create(
        {
            "id": f"fits_{style_id}",
            "name": "Fits",
            "checkpoint": SD1_CHECKPOINT,
            "styles": {"mode": "fixed", "id": style_id},
        }
    )

    assert saved["styles"]["id"] == style_id


def test_a_preset_without_a_fixed_checkpoint_is_not_checked(presets: PresetService) -> None:
    saved = presets.create(
        {"id": "open", "name": "Open", "styles": {"mode": "fixed", "id": "xl_ink"}}
    )

    assert saved["checkpoint"] is None
