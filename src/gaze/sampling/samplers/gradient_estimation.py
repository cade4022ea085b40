"""Gradient estimation (Permenter and Yuan, "Interpreting and Improving Diffusion Models from an
Optimization Perspective", 2024), as ComfyUI runs ``gradient_estimation``.

An Euler step, then from the second step on a correction along the change of the derivative
since the previous step, scaled by ``gamma - 1`` (ComfyUI's default gamma is 2). A step onto
sigma 0 returns ``denoised``.
"""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.steps import to_d

GAMMA = 2.0


def gradient_estimation(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    previous_d: Tensor | None = None
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        d = to_d(x, sigmas[i], denoised)
        run.report(i, x, sigmas[i], denoised)
        dt = sigmas[i + 1] - sigmas[i]
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            x = x + d * dt
            if previous_d is not None:
                x = x + (GAMMA - 1) * (d - previous_d) * dt
        previous_d = d
    return x


SAMPLERS: dict[str, Sampler] = {"gradient_estimation": gradient_estimation}
