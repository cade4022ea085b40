"""Saving a preset with its own LoRAs, on a real SQLite database (a copy of a prepared data
folder) with tiny LoRA files: an unknown file or one for another model family is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.tiny_lora import kohya_training_metadata, write_tiny_lora
from gaze.db.connection import Database
from gaze.presets.service import PresetService
from gaze.service_errors import Invalid

SD1_CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


@pytest.fixture
def presets(fresh_data: Path) -> Iterator[PresetService]:
    loras = fresh_data / "models" / "loras"
    write_tiny_lora(loras / "xl.safetensors", "sdxl", metadata=kohya_training_metadata("sdxl"))
    write_tiny_lora(loras / "one.safetensors", "sd1", metadata=kohya_training_metadata("sd1"))
    database = Database(f"sqlite:///{fresh_data / 'gaze.db'}")
    yield PresetService(
        database,
        fresh_data / "uploads",
        checkpoints_dir=fresh_data / "models" / "checkpoints",
        known_loras=lambda: {"xl.safetensors", "one.safetensors"},
    )
    database.dispose()


def test_an_installed_fitting_lora_is_saved(presets: PresetService) -> None:
    lora = {"file": "one.safetensors", "weight": 0.6}
    saved = presets.create(
        {"id": "own", "name": "Own", "checkpoint": SD1_CHECKPOINT, "loras": [lora]}
    )

    assert saved["loras"] == [{**lora, "clip_weight": None, "triggers": []}]
    assert presets.get("own")["loras"] == saved["loras"]  # type: ignore[index]


def test_an_unknown_lora_file_is_refused_by_name(presets: PresetService) -> None:
    with pytest.raises(Invalid) as refused:
        presets.create({"id": "lost", "name": "Lost", "loras": [{"file": "missing.safetensors"}]})

    assert refused.value.code == "unknown_reference"
    assert any(
        line.startswith("loras.0.file: 'missing.safetensors' is not an installed LoRA")
        for line in refused.value.problems
    ), refused.value.problems
    assert presets.get("lost") is None


def test_a_lora_for_another_family_than_the_checkpoint_is_refused(presets: PresetService) -> None:
    with pytest.raises(Invalid) as refused:
        presets.create(
            {
                "id": "mismatch",
                "name": "Mismatch",
                "checkpoint": SD1_CHECKPOINT,
                "loras": [{"file": "xl.safetensors"}],
            }
        )

    message = " ".join(refused.value.problems)
    assert "loras.0.file" in message and "xl.safetensors" in message
    assert "sdxl" in message and SD1_CHECKPOINT in message
