"""One image from a loaded pipeline with GAZE's sampling core (ComfyUI's KSampler path).

diffusers provides the models (text encoders, UNet, VAE); the noise schedule, the sigmas, the
noise and the sampler are :mod:`gaze.sampling`'s, so a seed gives the image ComfyUI gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from PIL import Image

from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.engines.local.guided_unet import GuidedUNet, TextConditioning
from gaze.engines.local.latent_decoding import decode_latent
from gaze.engines.local.prompt_encoding import PromptConditioning
from gaze.generation_spec import GenerationSpec
from gaze.sampling.core import StepCallback
from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.run import sample
from gaze.sampling.schedulers import ksampler_sigmas

LATENT_DOWNSCALE = 8


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


def guided_unet(
    pipeline: Any,
    family: ModelFamily,
    spec: GenerationSpec,
    conditioning: PromptConditioning,
    model_sampling: DiscreteModelSampling,
) -> GuidedUNet:
    return GuidedUNet(
        unet=pipeline.unet,
        model_sampling=model_sampling,
        positive=TextConditioning(conditioning.prompt_embeds, conditioning.pooled_prompt_embeds),
        negative=TextConditioning(
            conditioning.negative_prompt_embeds, conditioning.negative_pooled_prompt_embeds
        ),
        cfg=spec.cfg,
        image_size=(spec.height, spec.width) if family == "sdxl" else None,
    )


def sample_image(
    pipeline: Any,
    family: ModelFamily,
    spec: GenerationSpec,
    conditioning: PromptConditioning,
    model_sampling: DiscreteModelSampling,
    on_step: StepCallback,
) -> Image.Image:
    """The job's image (text to image, full denoise)."""
    model = guided_unet(pipeline, family, spec, conditioning, model_sampling)
    latent = torch.zeros(
        1,
        int(pipeline.unet.config.in_channels),
        spec.height // LATENT_DOWNSCALE,
        spec.width // LATENT_DOWNSCALE,
    )
    sigmas = ksampler_sigmas(model_sampling, spec.scheduler, spec.steps, 1.0, spec.sampler)
    samples = sample(model, model_sampling, latent, sigmas, spec.seed, spec.sampler, on_step)
    return decode_latent(pipeline.vae, samples)
