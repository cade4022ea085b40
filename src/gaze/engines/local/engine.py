"""``LocalEngine``: runs SD1.x / SDXL single-file checkpoints in this process.

- diffusers loads the models (text encoders, UNet, VAE); GAZE's sampling core
  (:mod:`gaze.sampling`) samples as ComfyUI does: its noise schedules, schedulers, samplers and
  noise, so a seed gives ComfyUI's image (:mod:`image_sampling`).
- One generation at a time (a lock). Loaded checkpoints stay in a small LRU cache between jobs
  (:mod:`checkpoint_cache`; ``cache_size``, default 1 on CPU and 2 on CUDA): a job on a cached
  checkpoint does not reload it.
- Prompts (:mod:`prompt_encoding`): ``(tag:1.2)`` emphasis weighted as ComfyUI does by default,
  or as A1111 does when the spec asks; no 77-token limit (75-token chunks); clip skip.
- LoRAs (:mod:`lora_loading`) with separate model and clip weights, several at once, fused into
  the weights (:mod:`lora_fusing`: kept while jobs reuse the same set, so sampling costs what a
  plain job costs; the originals restored exactly when the set changes), swapped between jobs
  without reloading the checkpoint; an external VAE from ``vae/`` replaces the checkpoint's own
  for the job.
- Reproducible: the start noise comes from a CPU generator seeded with the spec's seed (any
  value up to 2**64-1), whatever the device, and torch runs on a fixed thread count (CPU results
  are byte-identical for a seed only at a fixed thread count).
- img2img, inpainting and the hires pass (:mod:`image_sampling`, :mod:`second_pass`): the init
  image and mask prepared by :mod:`gaze.engines.image_inputs` (as the ComfyUI engine uploads
  them), ESRGAN-family upscale models from ``upscale_models/`` (:mod:`upscale_models`).
- Cancel: the progress callback checks the job's :class:`CancelToken` after every sampling step
  of either pass and between the stages.
- Memory: float16 and attention slicing on CUDA; a job that runs out of memory fails with
  :class:`EngineOutOfMemory` and the engine drops every loaded checkpoint, so the next job starts
  from a clean slate.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import torch

from gaze.engines.base import (
    BackendHealth,
    CancelToken,
    EngineError,
    GenerationCancelled,
    GenerationResult,
    ProgressCallback,
)
from gaze.engines.local.checkpoint_cache import (
    CheckpointCache,
    LoadedCheckpoint,
    default_cache_size,
    file_identity,
)
from gaze.engines.local.image_sampling import JobImages, SampledJob, model_sampling_of, sample_job
from gaze.engines.local.job_images import UpscaleModelCache, prepared_job_images
from gaze.engines.local.lora_loading import DEFAULT_KEPT_LORAS, ResolvedLora, apply_loras
from gaze.engines.local.model_files import (
    LOCAL_CAPABILITIES,
    LOCAL_ENGINE_NAME,
    UPSCALE_MODEL_SUFFIXES,
    LocalModelFolders,
    resolve_model_file,
)
from gaze.engines.local.out_of_memory import EngineOutOfMemory, out_of_memory_cause
from gaze.engines.local.pipeline_loading import LoadedPipeline, load_pipeline, load_vae
from gaze.engines.local.prompt_encoding import encode_prompts
from gaze.generation_spec import (
    LATENT_UPSCALERS,
    MAX_SEED,
    PIXEL_UPSCALERS,
    GenerationSpec,
)
from gaze.sampling.names import SCHEDULER_NAMES
from gaze.sampling.registry import SAMPLER_NAMES

SIZE_MULTIPLE = 8
HIRES_MAX_SCALE = 4.0


class _Cancelled(Exception):
    """Raised from the step callback to leave the sampling loop at once."""


class LocalEngine(LocalModelFolders):
    """The in-process diffusers backend (see the module docstring); it lists its model folders
    as :class:`LocalModelFolders` does."""

    name = LOCAL_ENGINE_NAME
    capabilities = LOCAL_CAPABILITIES

    def __init__(
        self,
        models_dir: Path,
        cache_dir: Path,
        device: str | None = None,
        threads: int | None = None,
        cache_size: int | None = None,
        kept_loras: int = DEFAULT_KEPT_LORAS,
        media_dir: Path | None = None,
    ) -> None:
        super().__init__(models_dir)
        self.media_dir = Path(media_dir) if media_dir is not None else None
        """Where a spec's init image and mask live (their paths are relative to it)."""
        self.cache_dir = Path(cache_dir)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = torch.float16 if self.device.startswith("cuda") else torch.float32
        self.threads = threads if threads is not None else torch.get_num_threads()
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        self.kept_loras = kept_loras
        torch.set_num_threads(self.threads)
        self._lock = threading.Lock()
        self._cache = CheckpointCache(
            cache_size if cache_size is not None else default_cache_size(self.device),
            self._load_checkpoint,
            self.device,
        )
        self._upscale_models = UpscaleModelCache(self.device)

    def health(self) -> BackendHealth:
        """Up while this process runs: the engine has no server to lose."""
        return BackendHealth(up=True, queue_remaining=None, detail="")

    # -- listing (the model folders: LocalModelFolders) --------------------------------------

    def samplers(self) -> list[str]:
        return list(SAMPLER_NAMES)

    def schedulers(self) -> list[str]:
        return list(SCHEDULER_NAMES)

    @property
    def cache_size(self) -> int:
        return self._cache.capacity

    @property
    def loaded_checkpoints(self) -> list[Path]:
        """The checkpoint files held in memory, least recently used first."""
        return self._cache.checkpoints

    @property
    def last_loaded(self) -> LoadedCheckpoint | None:
        """The last job's checkpoint as loaded (pipeline, family, noise schedule config)."""
        return self._cache.most_recent

    @property
    def pipeline(self) -> Any:
        """The last job's diffusers pipeline (None before the first job); for tests, benchmarks."""
        current = self._cache.most_recent
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
            try:
                return self._generate(spec, on_progress, cancel)
            except GenerationCancelled:
                raise
            except Exception as error:
                cause = out_of_memory_cause(error)
                if cause is None:
                    raise
                self._cache.clear()
                raise EngineOutOfMemory(
                    f"out of memory on {self.device} for a {spec.width}x{spec.height} image "
                    f"with {len(spec.loras)} LoRAs; the engine unloaded its models. Try a smaller "
                    f"size or fewer LoRAs. ({_first_line(cause)})"
                ) from error

    def _generate(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> GenerationResult:
        started = time.perf_counter()
        _check_spec(spec)
        checkpoint = resolve_model_file(self.checkpoints_dir, spec.checkpoint, "checkpoint")
        vae_file = resolve_model_file(self.vae_dir, spec.vae, "VAE") if spec.vae else None
        loras = [
            ResolvedLora(lora, resolve_model_file(self.loras_dir, lora.name, "LoRA"))
            for lora in spec.loras
        ]
        images = prepared_job_images(
            spec, self.media_dir, self.upscale_models_dir, self._upscale_models
        )
        if cancel.cancelled:
            raise GenerationCancelled("cancelled before it started")

        current, loaded_now = self._cache.get(checkpoint)
        self._apply_vae(current, vae_file)
        apply_loras(
            current.loaded.pipeline, current.loras, loras, spec.checkpoint, keep=self.kept_loras
        )
        if cancel.cancelled:  # asked while the checkpoint, VAE or LoRAs were loading
            raise GenerationCancelled("cancelled before sampling started")
        sampled, chunks = self._sample(current, spec, images, on_progress, cancel)
        info = {
            "device": self.device,
            "seconds": round(time.perf_counter() - started, 4),
            "loaded_checkpoint_now": loaded_now,
            "family": current.loaded.family,
            "sampler": spec.sampler,
            "scheduler": spec.scheduler,
            "threads": self.threads,
            "prompt_chunks": chunks,
        }
        if sampled.second_pass is not None:
            info["second_pass"] = sampled.second_pass.info()
        return GenerationResult(image=sampled.image, backend=self.name, info=info)

    def _sample(
        self,
        current: LoadedCheckpoint,
        spec: GenerationSpec,
        images: JobImages,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> tuple[SampledJob, int]:
        """The sampled job, and the prompt's chunk count; progress and cancel after every step
        (of both passes) and between the stages."""
        pipeline = current.loaded.pipeline
        family = current.loaded.family
        reported = [0.0]

        def report(fraction: float) -> None:
            if fraction > reported[0]:
                reported[0] = min(1.0, fraction)
                on_progress(reported[0])
            if cancel.cancelled:
                raise _Cancelled

        try:
            with torch.inference_mode():
                conditioning = encode_prompts(
                    pipeline,
                    family,
                    spec.positive,
                    spec.negative,
                    spec.clip_skip,
                    self.device,
                    weighting=spec.prompt_weighting,
                )
                sampled = sample_job(
                    pipeline,
                    family,
                    spec,
                    conditioning,
                    model_sampling_of(current.base_scheduler_config),
                    images,
                    report,
                )
        except _Cancelled:
            raise GenerationCancelled("cancelled") from None
        except EngineError:
            raise
        except Exception as error:  # any failure inside the models is this job's error
            if out_of_memory_cause(error) is not None:
                raise
            raise EngineError(f"generation failed: {error}") from error
        if reported[0] < 1.0:
            on_progress(1.0)
        return sampled, conditioning.chunks

    def _load_checkpoint(self, checkpoint: Path) -> LoadedPipeline:
        return load_pipeline(checkpoint, self.cache_dir, self.device, self.dtype)

    def _apply_vae(self, current: LoadedCheckpoint, vae_file: Path | None) -> None:
        pipeline = current.loaded.pipeline
        if vae_file is None:
            if current.vae_identity is not None:
                pipeline.vae = current.own_vae
                current.vae_identity = None
            return
        identity = file_identity(vae_file)
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


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:240] if text else type(error).__name__


def _check_spec(spec: GenerationSpec) -> None:
    """Reject what the pipeline would fail on late (after a possibly long checkpoint load)."""
    if spec.sampler not in SAMPLER_NAMES:
        raise EngineError(
            f"unknown sampler {spec.sampler!r}; valid samplers: {', '.join(SAMPLER_NAMES)}"
        )
    if spec.scheduler not in SCHEDULER_NAMES:
        raise EngineError(
            f"unknown scheduler {spec.scheduler!r}; valid schedulers: {', '.join(SCHEDULER_NAMES)}"
        )
    if spec.steps < 1:
        raise EngineError(f"steps must be at least 1, got {spec.steps}")
    for label, size in (("width", spec.width), ("height", spec.height)):
        if size < SIZE_MULTIPLE or size % SIZE_MULTIPLE:
            raise EngineError(f"{label} must be a positive multiple of {SIZE_MULTIPLE}, got {size}")
    if not 0 <= spec.seed <= MAX_SEED:
        raise EngineError(f"seed must be within 0..2**64-1, got {spec.seed}")
    if spec.clip_skip is not None and spec.clip_skip < 1:
        raise EngineError(f"clip_skip must be 1 or more (A1111 style), got {spec.clip_skip}")
    _check_second_pass(spec)


def _check_second_pass(spec: GenerationSpec) -> None:
    """The init image, mask and hires fields' rules (the API checks them too, with its words)."""
    if not 0.0 <= spec.denoise <= 1.0:
        raise EngineError(f"denoise must be between 0 and 1, got {spec.denoise}")
    if spec.mask is not None and spec.init_image is None:
        raise EngineError("a mask needs an init image")
    if spec.mask_blur < 0 or spec.mask_grow < 0:
        raise EngineError("mask_blur and mask_grow must be 0 or more")
    hires = spec.hires
    if hires is None:
        return
    if not 1.0 <= hires.scale <= HIRES_MAX_SCALE:
        raise EngineError(f"hires scale must be from 1 to {HIRES_MAX_SCALE}, got {hires.scale}")
    if not 0.0 <= hires.denoise <= 1.0:
        raise EngineError(f"hires denoise must be between 0 and 1, got {hires.denoise}")
    if hires.steps is not None and hires.steps < 1:
        raise EngineError(f"hires steps must be at least 1, got {hires.steps}")
    if hires.sampler is not None and hires.sampler not in SAMPLER_NAMES:
        raise EngineError(f"unknown hires sampler {hires.sampler!r}")
    if hires.scheduler is not None and hires.scheduler not in SCHEDULER_NAMES:
        raise EngineError(f"unknown hires scheduler {hires.scheduler!r}")
    if hires.upscaler in LATENT_UPSCALERS or hires.upscaler in PIXEL_UPSCALERS:
        return
    if not hires.upscaler.endswith(UPSCALE_MODEL_SUFFIXES):
        raise EngineError(
            f"unknown hires upscaler {hires.upscaler!r}: a latent or pixel method, or an "
            "upscale model file (.pth or .safetensors)"
        )
