"""DPM-Solver++ (Lu et al. 2022) in its ODE forms: ``dpmpp_2s_ancestral`` and ``dpmpp_2m``.

Both step in ``t = -log(sigma)`` and predict the data (``denoised``) rather than the noise;
their sigmas come back as ``exp(-t)``, which is how k-diffusion (and so ComfyUI) computes them,
whatever the model. The stochastic forms are in :mod:`gaze.sampling.samplers.dpmpp_sde`; this
module's ``SAMPLERS`` names them too, so the whole family is registered from here.
"""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import ancestral_noise
from gaze.sampling.samplers.dpmpp_sde import SAMPLERS as SDE_SAMPLERS
from gaze.sampling.samplers.steps import ancestral_step, to_d

MIDPOINT = 1 / 2
"""Where ``dpmpp_2s_ancestral`` evaluates the model in between, as a fraction of the step in t."""


def _t(sigma: Tensor) -> Tensor:
    return sigma.log().neg()


def _sigma(t: Tensor) -> Tensor:
    return t.neg().exp()


def dpmpp_2s_ancestral(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    """A two-stage DPM-Solver++ step down to ``sigma_down``, then fresh noise up to the next
    sigma (eta 1). A step that ends at sigma 0 is an Euler step. For flow (CONST) models ComfyUI
    runs another form; this is the discrete EPS / v-prediction one."""
    noise = ancestral_noise(x, run.seed)
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        sigma_down, sigma_up = ancestral_step(sigmas[i], sigmas[i + 1])
        run.report(i, x, sigmas[i], denoised)
        if sigma_down == 0:
            x = x + to_d(x, sigmas[i], denoised) * (sigma_down - sigmas[i])
        else:
            t, t_next = _t(sigmas[i]), _t(sigma_down)
            h = t_next - t
            t_mid = t + MIDPOINT * h
            x_mid = (_sigma(t_mid) / _sigma(t)) * x - (-h * MIDPOINT).expm1() * denoised
            denoised_mid = run.denoise(x_mid, _sigma(t_mid))
            x = (_sigma(t_next) / _sigma(t)) * x - (-h).expm1() * denoised_mid
        if sigmas[i + 1] > 0:
            x = x + noise(sigmas[i], sigmas[i + 1]) * sigma_up
    return x


def dpmpp_2m(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    """Second-order multistep: each step extrapolates ``denoised`` from this step's and the last
    step's; the first step and any onto sigma 0 are first order."""
    previous: Tensor | None = None
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        t, t_next = _t(sigmas[i]), _t(sigmas[i + 1])
        h = t_next - t
        if previous is None or sigmas[i + 1] == 0:
            extrapolated = denoised
        else:
            step_ratio = (t - _t(sigmas[i - 1])) / h
            extrapolated = (1 + 1 / (2 * step_ratio)) * denoised - (1 / (2 * step_ratio)) * previous
        x = (_sigma(t_next) / _sigma(t)) * x - (-h).expm1() * extrapolated
        previous = denoised
    return x


SAMPLERS: dict[str, Sampler] = {
    "dpmpp_2s_ancestral": dpmpp_2s_ancestral,
    "dpmpp_2m": dpmpp_2m,
    **SDE_SAMPLERS,
}
