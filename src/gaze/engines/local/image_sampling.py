"""One image from a loaded pipeline with GAZE's sampling core (ComfyUI's KSampler path).

diffusers provides the models (text encoders, UNet, VAE); the noise schedule, the sigmas, the
noise and the sampler are :mod:`gaze.sampling`'s, so a seed gives the image ComfyUI gives.

A job is one or two sampling passes:
- the first starts from an empty latent (text to image) or the encoded init image (img2img, with
  the spec's denoise shortening the schedule as KSampler does); with a mask, only the masked part
  is repainted (:mod:`gaze.sampling.inpaint`);
- a hires pass upscales the result (:mod:`second_pass`) and samples it again at its own denoise
  with the same seed (the start noise is drawn again at the larger size), under the same mask;
- an inpainting checkpoint's UNet also sees each pass's start latent and the mask
  (:func:`gaze.sampling.inpaint.inpaint_model_input`), as ComfyUI feeds such models;
- the last latent is decoded and saved to 8 bits.
Progress runs from 0 to 1 over both passes' steps together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from torch import Tensor

from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.engines.local.guided_unet import GuidedUNet, TextConditioning
from gaze.engines.local.latent_decoding import decode_latent
from gaze.engines.local.prompt_encoding import PromptConditioning
from gaze.engines.local.second_pass import HiresPass, hires_pass, upscaled_latent
from gaze.engines.local.upscale_models.loading import UpscaleModel
from gaze.engines.local.vae_pixels import encode_pixels
from gaze.generation_spec import GenerationSpec
from gaze.sampling.core import Denoiser, Step, StepCallback
from gaze.sampling.inpaint import NoiseMaskedDenoiser, inpaint_model_input, latent_noise_mask
from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.noise import start_noise
from gaze.sampling.run import sample
from gaze.sampling.schedulers import ksampler_sigmas

LATENT_DOWNSCALE = 8

ProgressReport = Callable[[float], None]
"""Told the fraction done (0..1) after every step and between the stages; raising from it stops
the job (cancel)."""


def model_sampling_of(scheduler_config: Mapping[str, Any]) -> DiscreteModelSampling:
    """The checkpoint's noise schedule, from the scheduler config its loader detected."""
    return DiscreteModelSampling(
        prediction=(
            "v_prediction" if scheduler_config.get("prediction_type") == "v_prediction" else "eps"
        ),
        timesteps=int(scheduler_config.get("num_train_timesteps", 1000)),
        linear_start=float(scheduler_config.get("beta_start", 0.00085)),
        linear_end=float(scheduler_config.get("beta_end", 0.012)),
        zero_terminal_snr=bool(scheduler_config.get("rescale_betas_zero_snr", False)),
    )


@dataclass(frozen=True)
class JobImages:
    """What a job starts from beside its prompt, prepared by the engine."""

    init_pixels: Tensor | None = None
    """The prepared init image, (1, 3, height, width) in 0..1."""
    mask: Tensor | None = None
    """The prepared mask, (height, width) in 0..1 (1 = repaint)."""
    upscale_model: UpscaleModel | None = None
    """The hires pass's upscale model, when it names one."""


@dataclass(frozen=True)
class SampledJob:
    image: Image.Image
    latent: Tensor
    """The last pass's latent (scaled), before decoding."""
    second_pass: HiresPass | None


def guided_unet(
    pipeline: Any,
    family: ModelFamily,
    spec: GenerationSpec,
    conditioning: PromptConditioning,
    model_sampling: DiscreteModelSampling,
    start: Tensor,
    mask: Tensor | None = None,
    image_size: tuple[int, int] | None = None,
) -> GuidedUNet:
    """The denoiser for one pass from the latent ``start`` (an inpainting UNet also sees it and
    the ``mask``); ``image_size`` (height, width) defaults to the spec's."""
    size = image_size or (spec.height, spec.width)
    inpainting_unet = int(pipeline.unet.config.in_channels) > int(start.shape[1])
    return GuidedUNet(
        unet=pipeline.unet,
        model_sampling=model_sampling,
        positive=TextConditioning(conditioning.prompt_embeds, conditioning.pooled_prompt_embeds),
        negative=TextConditioning(
            conditioning.negative_prompt_embeds, conditioning.negative_pooled_prompt_embeds
        ),
        cfg=spec.cfg,
        image_size=size if family == "sdxl" else None,
        concat=inpaint_model_input(start, mask) if inpainting_unet else None,
    )


def sample_image(
    pipeline: Any,
    family: ModelFamily,
    spec: GenerationSpec,
    conditioning: PromptConditioning,
    model_sampling: DiscreteModelSampling,
    on_step: StepCallback,
) -> Image.Image:
    """The image of a text-to-image spec (no init image or hires pass); ``on_step`` after every
    step."""
    latent = torch.zeros(_latent_shape(pipeline, spec.width, spec.height))
    model = guided_unet(pipeline, family, spec, conditioning, model_sampling, latent)
    sigmas = ksampler_sigmas(model_sampling, spec.scheduler, spec.steps, spec.denoise, spec.sampler)
    samples = sample(model, model_sampling, latent, sigmas, spec.seed, spec.sampler, on_step)
    return decode_latent(pipeline.vae, samples)


def sample_job(
    pipeline: Any,
    family: ModelFamily,
    spec: GenerationSpec,
    conditioning: PromptConditioning,
    model_sampling: DiscreteModelSampling,
    images: JobImages,
    report: ProgressReport,
) -> SampledJob:
    """The job's image after one or two passes (see the module docstring)."""
    first_sigmas = ksampler_sigmas(
        model_sampling, spec.scheduler, spec.steps, spec.denoise, spec.sampler
    )
    plan = hires_pass(spec, spec.hires) if spec.hires is not None else None
    second_sigmas = (
        ksampler_sigmas(model_sampling, plan.scheduler, plan.steps, plan.denoise, plan.sampler)
        if plan is not None
        else None
    )
    progress = _PassProgress(report, [first_sigmas, second_sigmas])

    if images.init_pixels is not None:
        start = encode_pixels(pipeline.vae, images.init_pixels)
    else:
        start = torch.zeros(_latent_shape(pipeline, spec.width, spec.height))
    progress.between_stages()
    model = guided_unet(pipeline, family, spec, conditioning, model_sampling, start, images.mask)
    latent = _sampled(
        model, model_sampling, start, first_sigmas, spec, spec.sampler, images.mask, progress
    )
    if plan is not None and second_sigmas is not None:
        progress.next_pass()
        start = upscaled_latent(pipeline.vae, latent, plan, images.upscale_model)
        progress.between_stages()
        model = guided_unet(
            pipeline,
            family,
            spec,
            conditioning,
            model_sampling,
            start,
            images.mask,
            (plan.height, plan.width),
        )
        latent = _sampled(
            model, model_sampling, start, second_sigmas, spec, plan.sampler, images.mask, progress
        )
    return SampledJob(decode_latent(pipeline.vae, latent), latent, plan)


def _latent_shape(pipeline: Any, width: int, height: int) -> tuple[int, int, int, int]:
    channels = int(pipeline.unet.config.out_channels)
    return (1, channels, height // LATENT_DOWNSCALE, width // LATENT_DOWNSCALE)


def _sampled(
    model: Denoiser,
    model_sampling: DiscreteModelSampling,
    start: Tensor,
    sigmas: Tensor,
    spec: GenerationSpec,
    sampler: str,
    mask: Tensor | None,
    progress: _PassProgress,
) -> Tensor:
    """One pass from ``start``; under ``mask``, only its masked part is repainted."""
    if mask is not None:
        model = NoiseMaskedDenoiser(
            model=model,
            latent=start,
            noise=start_noise(start.shape, spec.seed).to(start.device, start.dtype),
            mask=latent_noise_mask(mask, start.shape),
        )
    return sample(model, model_sampling, start, sigmas, spec.seed, sampler, progress.on_step)


class _PassProgress:
    """Turns each pass's steps into the job's fraction done (passes weighted by step count)."""

    def __init__(self, report: ProgressReport, sigmas: list[Tensor | None]) -> None:
        self._report = report
        self._steps = [max(len(s) - 1, 0) for s in sigmas if s is not None]
        self._total = max(sum(self._steps), 1)
        self._pass = 0
        self._done_before = 0

    def on_step(self, step: Step) -> None:
        within = min(step.index + 1, self._steps[self._pass])
        self._report((self._done_before + within) / self._total)

    def between_stages(self) -> None:
        self._report(self._done_before / self._total)

    def next_pass(self) -> None:
        self._done_before += self._steps[self._pass]
        self._pass += 1
        self._report(self._done_before / self._total)
