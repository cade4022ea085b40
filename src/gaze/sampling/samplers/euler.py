"""Euler's method on the probability-flow ODE, and its ancestral variant (k-diffusion)."""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import ancestral_noise
from gaze.sampling.samplers.steps import ancestral_step, to_d


def euler(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        x = x + to_d(x, sigmas[i], denoised) * (sigmas[i + 1] - sigmas[i])
    return x


def euler_ancestral(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    noise = ancestral_noise(x, run.seed)
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        sigma_down, sigma_up = ancestral_step(sigmas[i], sigmas[i + 1])
        if sigma_down == 0:
            x = denoised
        else:
            x = x + to_d(x, sigmas[i], denoised) * (sigma_down - sigmas[i])
        if sigmas[i + 1] > 0:
            x = x + noise(sigmas[i], sigmas[i + 1]) * sigma_up
    return x


SAMPLERS: dict[str, Sampler] = {"euler": euler, "euler_ancestral": euler_ancestral}
