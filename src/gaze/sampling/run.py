"""One sampling run as ComfyUI's KSampler makes it: start noise, noised start latent, sampler."""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Denoiser, SamplingRun, StepCallback
from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.noise import start_noise
from gaze.sampling.registry import SAMPLERS


class UnknownSampler(ValueError):
    """A sampler name this core does not run."""


def sample(
    model: Denoiser,
    model_sampling: DiscreteModelSampling,
    latent: Tensor,
    sigmas: Tensor,
    seed: int,
    sampler: str,
    on_step: StepCallback | None = None,
) -> Tensor:
    """The latent at ``sigmas[-1]``, starting from ``latent`` noised to ``sigmas[0]``.

    ``latent`` is zeros for text-to-image and the encoded image for img2img; the start noise is
    drawn from the seed whatever ``latent`` holds.
    """
    run_sampler = SAMPLERS.get(sampler)
    if run_sampler is None:
        raise UnknownSampler(f"unknown sampler {sampler!r}")
    if len(sigmas) == 0:
        return latent
    noise = start_noise(latent.shape, seed).to(device=latent.device, dtype=latent.dtype)
    first_sigma = float(sigmas[0])
    x = model_sampling.noise_scaling(
        sigmas[0], noise, latent, max_denoise=model_sampling.is_max_denoise(first_sigma)
    )
    if len(sigmas) == 1:
        return x  # no step to take: the noised start, as ComfyUI returns it
    run = SamplingRun(model=model, model_sampling=model_sampling, seed=seed, on_step=on_step)
    return run_sampler(run, x, sigmas)
