"""``LocalEngine``: runs SD1.x / SDXL single-file checkpoints in this process with diffusers.

- One generation at a time (a lock); one checkpoint loaded at a time, kept between jobs (a job on
  the loaded checkpoint does not reload it; switching checkpoints drops the old one first).
- Reproducible: the noise comes from a CPU ``torch.Generator`` seeded with the spec's seed (any
  value up to 2**64-1), whatever the device, and torch runs on a fixed thread count (CPU results
  are byte-identical for a seed only at a fixed thread count).
- ``clip_skip`` is A1111-style (1 = last layer, 2 = penultimate...), the same as ComfyUI's
  ``CLIPSetLastLayer`` with the sign flipped (-2 == 2). diffusers counts *skipped* layers instead:

  * SD1.x: diffusers ``clip_skip = spec.clip_skip - 1`` (so 1 or None -> no skip);
  * SDXL always conditions on the penultimate layer (as A1111 and ComfyUI do by default), so 1 and
    2 both mean the default, and ``n > 2`` -> diffusers ``clip_skip = n - 2``.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gaze.engines.base import (
    CancelToken,
    EngineError,
    GenerationCancelled,
    GenerationResult,
    ModelNotFound,
    ProgressCallback,
)
from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.engines.local.lora_loading import LoraState, ResolvedLora, apply_loras
from gaze.engines.local.pipeline_loading import (
    LoadedPipeline,
    load_pipeline,
    load_vae,
    text_model_alias_for_clip_skip,
)
from gaze.engines.local.samplers import check_sampler_and_scheduler, make_scheduler
from gaze.generation_spec import GenerationSpec

MODEL_SUFFIX = ".safetensors"
SIZE_MULTIPLE = 8


class _Cancelled(Exception):
    """Raised from the step callback to leave the sampling loop at once."""


FileIdentity = tuple[str, int, int]


def _file_identity(path: Path) -> FileIdentity:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def list_model_files(folder: Path) -> list[str]:
    """``*.safetensors`` files under ``folder`` (recursively), as sorted relative posix paths."""
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob(f"*{MODEL_SUFFIX}")
        if path.is_file()
    )


def resolve_model_file(folder: Path, name: str, what: str) -> Path:
    """The file ``name`` (relative posix path) inside ``folder``; ModelNotFound otherwise."""
    candidate = (folder / name).resolve()
    root = folder.resolve()
    if (
        not name
        or Path(name).is_absolute()
        or not candidate.is_relative_to(root)
        or candidate.suffix != MODEL_SUFFIX
        or not candidate.is_file()
    ):
        raise ModelNotFound(f"{what} not found: {name}")
    return candidate


def diffusers_clip_skip(clip_skip: int | None, family: ModelFamily) -> int | None:
    """Translate an A1111-style clip skip (1 = no skip) to diffusers' ``clip_skip`` argument."""
    if clip_skip is None:
        return None
    if clip_skip < 1:
        raise EngineError(f"clip_skip must be 1 or more (A1111 style), got {clip_skip}")
    skipped = clip_skip - (1 if family == "sd1" else 2)
    return skipped if skipped > 0 else None


@dataclass
class _LoadedCheckpoint:
    identity: FileIdentity
    loaded: LoadedPipeline
    base_scheduler_config: dict[str, Any]
    own_vae: Any
    vae_identity: FileIdentity | None = None
    loras: LoraState = field(default_factory=LoraState)


class LocalEngine:
    """The in-process diffusers backend (see the module docstring)."""

    name = "local"

    def __init__(
        self,
        models_dir: Path,
        cache_dir: Path,
        device: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.models_dir = Path(models_dir)
        self.cache_dir = Path(cache_dir)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = torch.float16 if self.device.startswith("cuda") else torch.float32
        self.threads = threads if threads is not None else torch.get_num_threads()
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        torch.set_num_threads(self.threads)
        self._lock = threading.Lock()
        self._current: _LoadedCheckpoint | None = None

    # -- listing ---------------------------------------------------------------------------

    @property
    def checkpoints_dir(self) -> Path:
        return self.models_dir / "checkpoints"

    @property
    def loras_dir(self) -> Path:
        return self.models_dir / "loras"

    @property
    def vae_dir(self) -> Path:
        return self.models_dir / "vae"

    def checkpoints(self) -> list[str]:
        return list_model_files(self.checkpoints_dir)

    def loras(self) -> list[str]:
        return list_model_files(self.loras_dir)

    def vaes(self) -> list[str]:
        return list_model_files(self.vae_dir)

    @property
    def loaded_checkpoint(self) -> Path | None:
        """The checkpoint file currently held in memory, if any."""
        current = self._current
        return current.loaded.checkpoint if current else None

    @property
    def pipeline(self) -> Any:
        """The loaded diffusers pipeline (None before the first job); for tests and benchmarks."""
        current = self._current
        return current.loaded.pipeline if current else None

    # -- generation ------------------------------------------------------------------------

    def generate(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> GenerationResult:
        with self._lock:
            torch.set_num_threads(self.threads)
            started = time.perf_counter()
            _check_spec(spec)
            checkpoint = resolve_model_file(self.checkpoints_dir, spec.checkpoint, "checkpoint")
            vae_file = resolve_model_file(self.vae_dir, spec.vae, "VAE") if spec.vae else None
            loras = [
                ResolvedLora(lora, resolve_model_file(self.loras_dir, lora.name, "LoRA"))
                for lora in spec.loras
            ]
            if cancel.cancelled:
                raise GenerationCancelled("cancelled before it started")

            loaded_now = self._ensure_loaded(checkpoint)
            current = self._current
            assert current is not None
            pipeline = current.loaded.pipeline
            self._apply_vae(current, vae_file)
            apply_loras(pipeline, current.loras, loras)
            pipeline.scheduler = make_scheduler(
                spec.sampler, spec.scheduler, current.base_scheduler_config, spec.seed
            )
            if cancel.cancelled:  # asked while the checkpoint, VAE or LoRAs were loading
                raise GenerationCancelled("cancelled before sampling started")
            image = self._run(pipeline, spec, current.loaded.family, on_progress, cancel)
            return GenerationResult(
                image=image,
                backend=self.name,
                info={
                    "device": self.device,
                    "seconds": round(time.perf_counter() - started, 4),
                    "loaded_checkpoint_now": loaded_now,
                    "family": current.loaded.family,
                    "scheduler": type(pipeline.scheduler).__name__,
                    "threads": self.threads,
                },
            )

    def pipeline_arguments(
        self,
        spec: GenerationSpec,
        family: ModelFamily,
    ) -> dict[str, Any]:
        """The keyword arguments a job passes to the diffusers pipeline (without callbacks)."""
        return {
            "prompt": spec.positive,
            "negative_prompt": spec.negative,
            "width": spec.width,
            "height": spec.height,
            "num_inference_steps": spec.steps,
            "guidance_scale": spec.cfg,
            "generator": torch.Generator(device="cpu").manual_seed(spec.seed),
            "clip_skip": diffusers_clip_skip(spec.clip_skip, family),
            "output_type": "pil",
        }

    def _run(
        self,
        pipeline: Any,
        spec: GenerationSpec,
        family: ModelFamily,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> Any:
        reported = [0.0]

        def on_step_end(
            pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]
        ) -> dict[str, Any]:
            total = max(int(pipe.num_timesteps), 1)
            reported[0] = max(reported[0], min(1.0, (step + 1) / total))
            on_progress(reported[0])
            if cancel.cancelled:
                raise _Cancelled
            return tensors

        arguments = self.pipeline_arguments(spec, family)
        try:
            with torch.inference_mode(), text_model_alias_for_clip_skip(pipeline):
                output = pipeline(**arguments, callback_on_step_end=on_step_end)
        except _Cancelled:
            raise GenerationCancelled("cancelled") from None
        except Exception as error:  # any failure inside diffusers is this job's error
            raise EngineError(f"generation failed: {error}") from error
        if reported[0] < 1.0:
            on_progress(1.0)
        return output.images[0]

    def _ensure_loaded(self, checkpoint: Path) -> bool:
        """Load ``checkpoint`` unless it is the one in memory; True when it was loaded now."""
        identity = _file_identity(checkpoint)
        if self._current is not None and self._current.identity == identity:
            return False
        self._current = None  # drop the previous checkpoint before loading the next one
        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
        loaded = load_pipeline(checkpoint, self.cache_dir, self.device, self.dtype)
        self._current = _LoadedCheckpoint(
            identity=identity,
            loaded=loaded,
            base_scheduler_config=dict(loaded.pipeline.scheduler.config),
            own_vae=loaded.pipeline.vae,
        )
        return True

    def _apply_vae(self, current: _LoadedCheckpoint, vae_file: Path | None) -> None:
        pipeline = current.loaded.pipeline
        if vae_file is None:
            if current.vae_identity is not None:
                pipeline.vae = current.own_vae
                current.vae_identity = None
            return
        identity = _file_identity(vae_file)
        if current.vae_identity == identity:
            return
        vae = load_vae(vae_file, current.loaded.family, self.cache_dir, self.device, self.dtype)
        own = current.own_vae.config
        if vae.config.latent_channels != own.latent_channels or len(
            vae.config.block_out_channels
        ) != len(own.block_out_channels):
            raise EngineError(f"VAE {vae_file.name} does not fit checkpoint's latent space")
        pipeline.vae = vae
        current.vae_identity = identity


def _check_spec(spec: GenerationSpec) -> None:
    """Reject what the pipeline would fail on late (after a possibly long checkpoint load)."""
    check_sampler_and_scheduler(spec.sampler, spec.scheduler)
    if spec.steps < 1:
        raise EngineError(f"steps must be at least 1, got {spec.steps}")
    for label, size in (("width", spec.width), ("height", spec.height)):
        if size < SIZE_MULTIPLE or size % SIZE_MULTIPLE:
            raise EngineError(f"{label} must be a positive multiple of {SIZE_MULTIPLE}, got {size}")
    if not 0 <= spec.seed <= 2**64 - 1:
        raise EngineError(f"seed must be within 0..2**64-1, got {spec.seed}")
    if spec.clip_skip is not None and spec.clip_skip < 1:
        raise EngineError(f"clip_skip must be 1 or more (A1111 style), got {spec.clip_skip}")
