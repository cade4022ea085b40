"""The presets and checkpoint settings the end-to-end tests generate from.

Written into a prepared data folder through GAZE's own library store, as `gaze init` writes
the examples. Every preset is small (128 px, 4 steps) so jobs take milliseconds on a
stand-in, apart from ``example_01``, which the API guide's flow uses as it ships.
"""

from __future__ import annotations

from pathlib import Path

from gaze.db.connection import Database
from gaze.library.schema import CheckpointSettings, Style
from gaze.library.store import upsert_checkpoint, upsert_resource
from gaze.presets.schema import Preset
from gaze.presets.store import upsert_preset

DEMO = "gaze-demo-sd15-tiny.safetensors"
SDXL = "sdxl/illustrious.safetensors"
NEEDS_VAE = "sd15/needs_vae.safetensors"
INK_LORA = "style/ink.safetensors"
MISSING_VAE = "vae/missing.safetensors"
BAD_SAMPLER = "euler_turbo"
"""A name no backend lists: the preflight refuses it before a job is queued."""

SMALL = {"width": 128, "height": 128, "steps": 4}

PRESETS: dict[str, dict[str, object]] = {
    "comfy_demo": {"checkpoint": DEMO, **SMALL},
    "comfy_sdxl": {"checkpoint": SDXL, **SMALL},
    "comfy_lora": {
        "checkpoint": DEMO,
        "styles": {"mode": "fixed", "id": "inked_with_lora"},
        **SMALL,
    },
    "comfy_vae": {"checkpoint": NEEDS_VAE, **SMALL},
    "comfy_bad_sampler": {"checkpoint": DEMO, "sampler": BAD_SAMPLER, **SMALL},
    "comfy_a1111": {"checkpoint": DEMO, "prompt_weighting": "a1111", **SMALL},
}


def add_test_library(data_dir: Path) -> None:
    database = Database(f"sqlite:///{data_dir / 'gaze.db'}")
    try:
        with database.session() as session:
            upsert_checkpoint(
                session, CheckpointSettings(path=SDXL, name="Illustrious", base_model="sdxl")
            )
            upsert_checkpoint(
                session, CheckpointSettings(path=NEEDS_VAE, name="Needs a VAE", vae=MISSING_VAE)
            )
            upsert_resource(
                session,
                Style.model_validate(
                    {
                        "id": "inked_with_lora",
                        "name": "Inked (LoRA)",
                        "fields": {"style": {"medium": "ink"}},
                        "default_fields": ["style::medium"],
                        "lora": {"file": INK_LORA, "weight": 0.6},
                    }
                ),
            )
            for slug, settings in PRESETS.items():
                upsert_preset(
                    session,
                    Preset.model_validate(
                        {"id": slug, "slug": slug, "name": slug.replace("_", " "), **settings}
                    ),
                )
    finally:
        database.dispose()
