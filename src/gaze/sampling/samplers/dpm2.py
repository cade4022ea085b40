"""k-diffusion's second-order DPM-Solver-2 steps: ``dpm_2`` and its ancestral variant.

Each step takes the derivative at the midpoint in log sigma (the geometric mean of the step's
sigmas) and applies it over the whole step; two model calls a step. A step onto sigma 0 is an
Euler step. ``dpm_2_ancestral`` steps down to ``sigma_down`` and adds fresh noise up to the next
sigma (eta 1); for flow (CONST) models ComfyUI runs another form, this is the discrete EPS /
v-prediction one.
"""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import ancestral_noise
from gaze.sampling.samplers.steps import ancestral_step, to_d


def _midpoint_step(
    run: SamplingRun, x: Tensor, d: Tensor, sigma: Tensor, sigma_next: Tensor
) -> Tensor:
    """From ``sigma`` to ``sigma_next`` with the derivative taken halfway in log sigma."""
    sigma_mid = sigma.log().lerp(sigma_next.log(), 0.5).exp()
    x_mid = x + d * (sigma_mid - sigma)
    d_mid = to_d(x_mid, sigma_mid, run.denoise(x_mid, sigma_mid))
    return x + d_mid * (sigma_next - sigma)


def dpm_2(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        d = to_d(x, sigmas[i], denoised)
        run.report(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = x + d * (sigmas[i + 1] - sigmas[i])
        else:
            x = _midpoint_step(run, x, d, sigmas[i], sigmas[i + 1])
    return x


def dpm_2_ancestral(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    noise = ancestral_noise(x, run.seed)
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        sigma_down, sigma_up = ancestral_step(sigmas[i], sigmas[i + 1])
        run.report(i, x, sigmas[i], denoised)
        d = to_d(x, sigmas[i], denoised)
        if sigma_down == 0:
            x = x + d * (sigma_down - sigmas[i])
        else:
            x = _midpoint_step(run, x, d, sigmas[i], sigma_down)
            x = x + noise(sigmas[i], sigmas[i + 1]) * sigma_up
    return x


SAMPLERS: dict[str, Sampler] = {"dpm_2": dpm_2, "dpm_2_ancestral": dpm_2_ancestral}
