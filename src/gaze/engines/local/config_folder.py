"""Write (and cache) the local diffusers config folder that offline single-file loading needs.

``from_single_file(..., config=<folder>, local_files_only=True)`` reads ``model_index.json``, each
component's config and the tokenizer files from that folder and never touches the network. The
folder depends only on the checkpoint's architecture, so it is cached under
``<cache_dir>/diffusers-configs/<hash of the inferred architecture>``: every SDXL fine-tune shares
one folder, every SD1.5 fine-tune another.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gaze.engines.local.checkpoint_config import PipelineConfig
from gaze.engines.local.tokenizer_files import END_OF_TEXT, write_clip_tokenizer

# Bump when the folder's layout or contents change for the same architecture.
CONFIG_FOLDER_VERSION = 1
CONFIG_FOLDERS_DIR = "diffusers-configs"
SDXL_SECOND_TOKENIZER_PAD = "!"


def architecture_hash(config: PipelineConfig) -> str:
    """A short stable hash of the architecture (the checkpoint's shape signature)."""
    payload = json.dumps(
        {"version": CONFIG_FOLDER_VERSION, **config.as_json_dict()},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def model_index(config: PipelineConfig) -> dict[str, Any]:
    common: dict[str, Any] = {
        "scheduler": ["diffusers", config.scheduler["_class_name"]],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    if config.family == "sd1":
        return {
            "_class_name": "StableDiffusionPipeline",
            **common,
            "feature_extractor": [None, None],
            "image_encoder": [None, None],
            "requires_safety_checker": False,
            "safety_checker": [None, None],
        }
    return {
        "_class_name": "StableDiffusionXLPipeline",
        **common,
        "feature_extractor": [None, None],
        "force_zeros_for_empty_prompt": True,
        "image_encoder": [None, None],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_config_folder(config: PipelineConfig, folder: Path) -> Path:
    """Write the full diffusers config folder for ``config`` into ``folder``."""
    _write_json(folder / "model_index.json", model_index(config))
    _write_json(folder / "unet" / "config.json", config.unet)
    _write_json(folder / "vae" / "config.json", config.vae)
    _write_json(folder / "scheduler" / "scheduler_config.json", config.scheduler)
    _write_json(folder / "text_encoder" / "config.json", config.text_encoder)
    write_clip_tokenizer(folder / "tokenizer", pad_token=END_OF_TEXT)
    if config.text_encoder_2 is not None:
        _write_json(folder / "text_encoder_2" / "config.json", config.text_encoder_2)
        write_clip_tokenizer(folder / "tokenizer_2", pad_token=SDXL_SECOND_TOKENIZER_PAD)
    return folder


def cached_config_folder(config: PipelineConfig, cache_dir: Path) -> Path:
    """The cached config folder for ``config``, written first if it is not there yet.

    The folder is written under a temporary name and renamed into place, so a concurrent writer
    or a crash never leaves a half-written folder under the final name.
    """
    root = cache_dir / CONFIG_FOLDERS_DIR
    folder = root / f"{config.family}-{architecture_hash(config)}"
    if (folder / "model_index.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        write_config_folder(config, staging)
        try:
            os.replace(staging, folder)
        except OSError:
            if not (folder / "model_index.json").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder
