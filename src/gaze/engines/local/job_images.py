"""What a job starts from beside its prompt, checked and prepared before any model loads.

The init image and mask come from the shared :mod:`gaze.engines.image_inputs` (so the ComfyUI
engine uploads the very same pixels); the hires pass's upscale model is found under
``upscale_models/`` and loaded, the last one kept in memory between jobs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gaze.engines.base import EngineError, ModelNotFound
from gaze.engines.image_inputs import prepared_init_image, prepared_mask
from gaze.engines.local.image_sampling import JobImages
from gaze.engines.local.upscale_models.loading import (
    UPSCALE_MODEL_SUFFIXES,
    UpscaleModel,
    load_upscale_model,
)
from gaze.engines.local.vae_pixels import pixels_of
from gaze.generation_spec import GenerationSpec, is_upscale_model


def resolve_upscale_model(folder: Path, name: str) -> Path:
    """The file ``name`` (relative posix path) inside ``folder``; ModelNotFound otherwise."""
    root = folder.resolve()
    candidate = (folder / name).resolve()
    if (
        not name
        or Path(name).is_absolute()
        or not candidate.is_relative_to(root)
        or candidate.suffix not in UPSCALE_MODEL_SUFFIXES
        or not candidate.is_file()
    ):
        raise ModelNotFound(f"upscale model not found: {name}")
    return candidate


class UpscaleModelCache:
    """The last upscale model loaded, reused while its file is unchanged."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._identity: tuple[Path, int, int] | None = None
        self._model: UpscaleModel | None = None

    def get(self, path: Path, name: str) -> UpscaleModel:
        stat = path.stat()
        identity = (path, stat.st_mtime_ns, stat.st_size)
        if self._model is None or self._identity != identity:
            self._model = None  # let the old one go before the new one loads
            model = load_upscale_model(path, name)
            model.network.to(self.device)
            self._model, self._identity = model, identity
        return self._model


def prepared_job_images(
    spec: GenerationSpec,
    media_dir: Path | None,
    upscale_models_dir: Path,
    upscale_models: UpscaleModelCache,
) -> JobImages:
    """The job's init image, mask (as tensors) and upscale model; EngineError naming what is
    missing or changed."""
    init_pixels = mask = None
    if spec.init_image is not None:
        if media_dir is None:
            raise EngineError("this engine has no media folder to read the init image from")
        init_pixels = pixels_of(prepared_init_image(spec, media_dir))
        mask_image = prepared_mask(spec, media_dir)
        if mask_image is not None:
            mask = torch.from_numpy(np.asarray(mask_image).astype(np.float32) / 255.0)
    upscale_model = None
    if spec.hires is not None and is_upscale_model(spec.hires.upscaler):
        path = resolve_upscale_model(upscale_models_dir, spec.hires.upscaler)
        upscale_model = upscale_models.get(path, spec.hires.upscaler)
    return JobImages(init_pixels=init_pixels, mask=mask, upscale_model=upscale_model)
