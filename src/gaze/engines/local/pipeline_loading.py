"""Load single-file SD1.x / SDXL checkpoints (and VAE files) offline through diffusers.

The weights always go through diffusers' own single-file conversion (``from_single_file``); this
module only supplies what that code would otherwise fetch from the hub: a local config folder
built from the checkpoint's shapes (:mod:`checkpoint_config`, :mod:`config_folder`). After loading
it checks what diffusers does not: that the tokenizers are the real 49408-token CLIP vocabulary
and that no parameter was left without a weight.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gaze.engines.base import EngineError
from gaze.engines.local.checkpoint_config import (
    ModelFamily,
    UnsupportedCheckpoint,
    infer_pipeline_config,
    infer_vae_config,
    read_tensor_shapes,
)
from gaze.engines.local.config_folder import cached_config_folder
from gaze.engines.local.tokenizer_files import CLIP_VOCAB_SIZE

VAE_CONFIG_FOLDERS_DIR = "diffusers-vae-configs"


@dataclass
class LoadedPipeline:
    """A loaded diffusers pipeline and what it was loaded from."""

    pipeline: Any
    family: ModelFamily
    checkpoint: Path


@contextlib.contextmanager
def _quiet_diffusers_progress() -> Iterator[None]:
    from diffusers.utils import logging as diffusers_logging

    was_disabled = not diffusers_logging.is_progress_bar_enabled()
    diffusers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if not was_disabled:
            diffusers_logging.enable_progress_bar()


def _pipeline_class(family: ModelFamily) -> Any:
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    return StableDiffusionPipeline if family == "sd1" else StableDiffusionXLPipeline


def check_tokenizers(pipeline: Any) -> None:
    """Raise unless every tokenizer of the pipeline has the full CLIP vocabulary.

    transformers quietly builds a 2-3 token tokenizer when its vocabulary files are missing or
    unreadable; every prompt would then encode to the same few ids.
    """
    for name in ("tokenizer", "tokenizer_2"):
        tokenizer = getattr(pipeline, name, None)
        if tokenizer is None:
            continue
        if len(tokenizer) != CLIP_VOCAB_SIZE:
            raise EngineError(
                f"{name} has {len(tokenizer)} tokens instead of {CLIP_VOCAB_SIZE}: "
                "the CLIP tokenizer files are missing or broken"
            )


def torch_modules(pipeline: Any) -> dict[str, torch.nn.Module]:
    """The pipeline's torch components by name (unet, vae, text encoders)."""
    return {
        name: component
        for name, component in pipeline.components.items()
        if isinstance(component, torch.nn.Module)
    }


def check_all_weights_loaded(pipeline: Any, checkpoint: Path) -> None:
    """Raise if any parameter is still on the meta device (no weight in the checkpoint for it)."""
    missing = [
        f"{name}.{parameter_name}"
        for name, module in torch_modules(pipeline).items()
        for parameter_name, parameter in module.named_parameters()
        if parameter.is_meta
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise EngineError(f"{checkpoint.name}: no weights for {shown}")


def load_pipeline(
    checkpoint: Path, cache_dir: Path, device: str, dtype: torch.dtype
) -> LoadedPipeline:
    """Load ``checkpoint`` into a diffusers pipeline on ``device`` with ``dtype``, fully offline."""
    shapes = read_tensor_shapes(checkpoint)
    config = infer_pipeline_config(shapes)
    folder = cached_config_folder(config, cache_dir)
    extra: dict[str, Any] = {}
    if config.family == "sdxl":
        extra["add_watermarker"] = False
    try:
        with _quiet_diffusers_progress():
            pipeline = _pipeline_class(config.family).from_single_file(
                str(checkpoint),
                config=str(folder),
                local_files_only=True,
                torch_dtype=dtype,
                **extra,
            )
    except EngineError:
        raise
    except Exception as error:  # any failure inside diffusers is this job's error
        raise EngineError(f"could not load {checkpoint.name}: {error}") from error
    check_tokenizers(pipeline)
    check_all_weights_loaded(pipeline, checkpoint)
    pipeline.to(device)
    pipeline.set_progress_bar_config(disable=True)
    if device.startswith("cuda"):
        save_device_memory(pipeline)
    return LoadedPipeline(pipeline, config.family, checkpoint)


def save_device_memory(pipeline: Any) -> None:
    """Trade a little speed for a lower peak on a GPU: compute attention in slices.

    (The weights are already float16 there; SDXL's VAE, which overflows in float16, is upcast
    for decoding by the pipeline itself through its ``force_upcast`` config.)
    """
    pipeline.enable_attention_slicing()


def load_vae(
    vae_file: Path, family: ModelFamily, cache_dir: Path, device: str, dtype: torch.dtype
) -> Any:
    """Load a standalone single-file VAE (LDM names, no prefix) through diffusers, offline."""
    from diffusers import AutoencoderKL

    shapes = read_tensor_shapes(vae_file)
    prefix = "first_stage_model." if any(k.startswith("first_stage_model.") for k in shapes) else ""
    try:
        vae_config = infer_vae_config(shapes, family, prefix)
    except UnsupportedCheckpoint as error:
        raise EngineError(f"{vae_file.name} is not a VAE in the original layout: {error}") from None
    folder = _vae_config_folder(vae_config, cache_dir)
    try:
        with _quiet_diffusers_progress():
            vae = AutoencoderKL.from_single_file(
                str(vae_file),
                config=str(folder),
                subfolder="vae",
                local_files_only=True,
                torch_dtype=dtype,
            )
    except Exception as error:  # any failure inside diffusers is this job's error
        raise EngineError(f"could not load VAE {vae_file.name}: {error}") from error
    missing = [name for name, parameter in vae.named_parameters() if parameter.is_meta]
    if missing:
        raise EngineError(f"VAE {vae_file.name}: no weights for {', '.join(missing[:5])}")
    return vae.to(device)


def _vae_config_folder(vae_config: dict[str, Any], cache_dir: Path) -> Path:
    payload = json.dumps(vae_config, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
    folder = cache_dir / VAE_CONFIG_FOLDERS_DIR / digest
    config_file = folder / "vae" / "config.json"
    if not config_file.is_file():
        config_file.parent.mkdir(parents=True, exist_ok=True)
        staging = config_file.with_suffix(f".{digest}.tmp")
        staging.write_text(json.dumps(vae_config, indent=2, sort_keys=True), encoding="utf-8")
        staging.replace(config_file)
    return folder
