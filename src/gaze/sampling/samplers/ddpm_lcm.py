"""Samplers that step as the model was trained: ``ddpm`` (ancestral DDPM) and ``lcm``.

``ddpm`` works in the variance-preserving space (``x / sqrt(1 + sigma**2)``): each step takes
the DDPM posterior mean from sigma to the next sigma, predicting the noise from ``denoised``,
and adds the posterior's noise unless the next sigma is 0. ``lcm`` (latent consistency models)
jumps to the model's ``denoised`` every step and noises it afresh to the next sigma. Both draw
their noise from the ancestral step-noise generator.
"""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import NoiseSampler, ancestral_noise


def _ddpm_posterior_step(
    x: Tensor, sigma: Tensor, sigma_next: Tensor, eps: Tensor, noise: NoiseSampler
) -> Tensor:
    """One DDPM step in variance-preserving space, from ``sigma`` to ``sigma_next``."""
    alpha_cumprod = 1 / ((sigma * sigma) + 1)
    alpha_cumprod_next = 1 / ((sigma_next * sigma_next) + 1)
    alpha = alpha_cumprod / alpha_cumprod_next
    mean = (1.0 / alpha).sqrt() * (x - (1 - alpha) * eps / (1 - alpha_cumprod).sqrt())
    if sigma_next > 0:
        variance = (1 - alpha) * (1.0 - alpha_cumprod_next) / (1.0 - alpha_cumprod)
        mean = mean + variance.sqrt() * noise(sigma, sigma_next)
    return mean


def ddpm(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    noise = ancestral_noise(x, run.seed)
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        eps = (x - denoised) / sigmas[i]
        scaled = x / (1.0 + sigmas[i] ** 2.0).sqrt()
        x = _ddpm_posterior_step(scaled, sigmas[i], sigmas[i + 1], eps, noise)
        if sigmas[i + 1] != 0:
            x = x * (1.0 + sigmas[i + 1] ** 2.0).sqrt()
    return x


def lcm(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    noise = ancestral_noise(x, run.seed)
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        x = denoised
        if sigmas[i + 1] > 0:
            x = run.model_sampling.noise_scaling(sigmas[i + 1], noise(sigmas[i], sigmas[i + 1]), x)
    return x


SAMPLERS: dict[str, Sampler] = {"ddpm": ddpm, "lcm": lcm}
