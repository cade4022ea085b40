"""Heun's method on the probability-flow ODE (Karras et al. 2022, algorithm 2) and ``heunpp2``.

``heun`` averages the derivative at both ends of a step (two model calls); the step onto the
last sigma is an Euler step when that sigma is 0. ``heunpp2`` looks one sigma further ahead
and weights its derivatives by the sigmas they were taken at (three model calls), with plain
Heun for the step before the last and Euler for the last. Both run without churn (ComfyUI's
default ``s_churn`` 0), so they are deterministic.
"""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.steps import to_d


def heun(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        d = to_d(x, sigmas[i], denoised)
        run.report(i, x, sigmas[i], denoised)
        dt = sigmas[i + 1] - sigmas[i]
        if sigmas[i + 1] == 0:
            x = x + d * dt
            continue
        x_end = x + d * dt
        d_end = to_d(x_end, sigmas[i + 1], run.denoise(x_end, sigmas[i + 1]))
        x = x + (d + d_end) / 2 * dt
    return x


def heunpp2(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    """Heun++ (ComfyUI's ``heunpp2``): the weights of the later derivatives are their sigmas
    over two (or three) times the first sigma of the whole run."""
    last_sigma = sigmas[-1]
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        d = to_d(x, sigmas[i], denoised)
        run.report(i, x, sigmas[i], denoised)
        dt = sigmas[i + 1] - sigmas[i]
        if sigmas[i + 1] == last_sigma:
            x = x + d * dt
            continue
        x_2 = x + d * dt
        d_2 = to_d(x_2, sigmas[i + 1], run.denoise(x_2, sigmas[i + 1]))
        if sigmas[i + 2] == last_sigma:
            weight_2 = sigmas[i + 1] / (2 * sigmas[0])
            x = x + (d * (1 - weight_2) + d_2 * weight_2) * dt
            continue
        x_3 = x_2 + d_2 * (sigmas[i + 2] - sigmas[i + 1])
        d_3 = to_d(x_3, sigmas[i + 2], run.denoise(x_3, sigmas[i + 2]))
        scale = 3 * sigmas[0]
        weight_2 = sigmas[i + 1] / scale
        weight_3 = sigmas[i + 2] / scale
        weight_1 = 1 - weight_2 - weight_3
        x = x + (weight_1 * d + weight_2 * d_2 + weight_3 * d_3) * dt
    return x


SAMPLERS: dict[str, Sampler] = {"heun": heun, "heunpp2": heunpp2}
