"""DPM-Solver++ in its stochastic (SDE) forms, with Brownian-tree step noise, as ComfyUI runs
them: ``dpmpp_sde``, ``dpmpp_2m_sde`` (midpoint), ``dpmpp_2m_sde_heun`` and ``dpmpp_3m_sde``,
each with eta 1 and s_noise 1.

They step in the half log-SNR ``lambda`` of the model's sampling (``-log(sigma)`` for the
discrete EPS / v-prediction models; ComfyUI's flow (CONST) models would use another lambda and
move a first sigma of 1 off the end: not needed here). The noise of a step is the increment of
one Brownian motion over the run's ``[sigma_min, sigma_max]``, seeded with the run's seed. The
``_gpu`` variants build that motion on the sampling device instead of the CPU; on a CPU tensor
that is the same motion, and the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal

from torch import Tensor

from gaze.sampling.brownian import BrownianTreeNoise
from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.exponential_step import ExponentialStep, exponential_steps
from gaze.sampling.samplers.steps import ancestral_step

ETA = 1.0
"""ComfyUI's default: as much fresh noise per step as the SDE allows."""
SDE_MIDPOINT = 1 / 2
"""Where ``dpmpp_sde`` evaluates the model in between, as a fraction of the step in lambda."""

SecondOrderRule = Literal["midpoint", "heun"]
Earlier = list[tuple[Tensor, Tensor]]
"""The last two steps' ``denoised`` and ``h``, newest first."""
Correction = Callable[[Tensor, Tensor, ExponentialStep, Earlier], Tensor]
"""``(x after the first-order step, denoised, the step, earlier) -> corrected x``."""


def brownian_noise(run: SamplingRun, x: Tensor, sigmas: Tensor, on_cpu: bool) -> BrownianTreeNoise:
    """The run's Brownian-tree noise over its sigmas above zero."""
    positive = sigmas[sigmas > 0]
    return BrownianTreeNoise(x, positive.min(), sigmas.max(), run.seed, on_cpu=on_cpu)


def _dpmpp_sde(run: SamplingRun, x: Tensor, sigmas: Tensor, on_cpu: bool) -> Tensor:
    """Two stages per step, each a data-prediction exponential step down to an ancestral
    ``sigma_down`` plus fresh noise; a step onto sigma 0 returns ``denoised``."""
    if len(sigmas) <= 1:
        return x
    noise = brownian_noise(run, x, sigmas, on_cpu)
    sampling = run.model_sampling
    weight_mid = 1 / (2 * SDE_MIDPOINT)

    def update(x: Tensor, denoised: Tensor, step: ExponentialStep) -> Tensor:
        lambda_s, alpha_t = step.lambda_s, step.alpha_t
        lambda_mid = lambda_s + SDE_MIDPOINT * step.h
        sigma_mid = sampling.sigma_from_half_log_snr(lambda_mid)
        alpha_s = step.sigma * lambda_s.exp()
        alpha_mid = sigma_mid * lambda_mid.exp()

        sigma_down, sigma_up = ancestral_step(lambda_s.neg().exp(), lambda_mid.neg().exp(), ETA)
        h_down = sigma_down.log().neg() - lambda_s
        x_mid = (alpha_mid / alpha_s) * (-h_down).exp() * x - alpha_mid * (
            -h_down
        ).expm1() * denoised
        x_mid = x_mid + alpha_mid * noise(step.sigma, sigma_mid) * sigma_up
        denoised_mid = run.denoise(x_mid, sigma_mid)

        sigma_down, sigma_up = ancestral_step(lambda_s.neg().exp(), step.lambda_t.neg().exp(), ETA)
        h_down = sigma_down.log().neg() - lambda_s
        combined = (1 - weight_mid) * denoised + weight_mid * denoised_mid
        x = (alpha_t / alpha_s) * (-h_down).exp() * x - alpha_t * (-h_down).expm1() * combined
        return x + alpha_t * noise(step.sigma, step.sigma_next) * sigma_up

    return exponential_steps(run, x, sigmas, ETA, update)


def _multistep_sde(
    run: SamplingRun, x: Tensor, sigmas: Tensor, correct: Correction, on_cpu: bool
) -> Tensor:
    """One model call per step: a first-order exponential SDE step on this ``denoised``,
    corrected with the earlier steps' (``dpmpp_2m_sde`` and ``dpmpp_3m_sde``), plus Brownian
    noise; a step onto sigma 0 returns ``denoised``."""
    if len(sigmas) <= 1:
        return x
    noise = brownian_noise(run, x, sigmas, on_cpu)
    earlier: Earlier = []

    def update(x: Tensor, denoised: Tensor, step: ExponentialStep) -> Tensor:
        nonlocal earlier
        x = correct(step.to_end(x, denoised), denoised, step, earlier)
        earlier = [(denoised, step.h), *earlier[:1]]
        return x + _sde_noise(noise, step)

    return exponential_steps(run, x, sigmas, ETA, update)


def _second_order(
    x: Tensor, denoised: Tensor, step: ExponentialStep, earlier: Earlier, rule: SecondOrderRule
) -> Tensor:
    """``dpmpp_2m_sde``'s correction with the last step's ``denoised`` (midpoint or Heun
    weights); none on the first step."""
    if not earlier:
        return x
    previous_denoised, previous_h = earlier[0]
    inverse_ratio = 1 / (previous_h / step.h)
    change = denoised - previous_denoised
    if rule == "heun":
        phi = (-step.h_eta).expm1().neg() / (-step.h_eta) + 1
        weight = step.alpha_t * phi
    else:
        weight = 0.5 * step.alpha_t * (-step.h_eta).expm1().neg()
    return x + weight * inverse_ratio * change


def _third_order(x: Tensor, denoised: Tensor, step: ExponentialStep, earlier: Earlier) -> Tensor:
    """``dpmpp_3m_sde``'s correction: second order with one earlier step, third with two."""
    h, h_eta, alpha_t = step.h, step.h_eta, step.alpha_t
    phi_2 = h_eta.neg().expm1() / h_eta + 1
    if len(earlier) == 2:
        (denoised_1, h_1), (denoised_2, h_2) = earlier
        r0, r1 = h_1 / h, h_2 / h
        slope_0 = (denoised - denoised_1) / r0
        slope_1 = (denoised_1 - denoised_2) / r1
        slope = slope_0 + (slope_0 - slope_1) * r0 / (r0 + r1)
        curvature = (slope_0 - slope_1) / (r0 + r1)
        phi_3 = phi_2 / h_eta - 0.5
        return x + (alpha_t * phi_2) * slope - (alpha_t * phi_3) * curvature
    if earlier:
        denoised_1, h_1 = earlier[0]
        return x + (alpha_t * phi_2) * ((denoised - denoised_1) / (h_1 / h))
    return x


def _sde_noise(noise: BrownianTreeNoise, step: ExponentialStep) -> Tensor:
    sigma, sigma_next = step.sigma, step.sigma_next
    return noise(sigma, sigma_next) * sigma_next * (-2 * step.h * ETA).expm1().neg().sqrt()


_MIDPOINT: Correction = partial(_second_order, rule="midpoint")
_HEUN: Correction = partial(_second_order, rule="heun")


def dpmpp_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_sde(run, x, sigmas, on_cpu=True)


def dpmpp_sde_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_sde(run, x, sigmas, on_cpu=False)


def dpmpp_2m_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _multistep_sde(run, x, sigmas, _MIDPOINT, on_cpu=True)


def dpmpp_2m_sde_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _multistep_sde(run, x, sigmas, _MIDPOINT, on_cpu=False)


def dpmpp_2m_sde_heun(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _multistep_sde(run, x, sigmas, _HEUN, on_cpu=True)


def dpmpp_2m_sde_heun_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _multistep_sde(run, x, sigmas, _HEUN, on_cpu=False)


def dpmpp_3m_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _multistep_sde(run, x, sigmas, _third_order, on_cpu=True)


def dpmpp_3m_sde_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _multistep_sde(run, x, sigmas, _third_order, on_cpu=False)


SAMPLERS: dict[str, Sampler] = {
    "dpmpp_sde": dpmpp_sde,
    "dpmpp_sde_gpu": dpmpp_sde_gpu,
    "dpmpp_2m_sde": dpmpp_2m_sde,
    "dpmpp_2m_sde_gpu": dpmpp_2m_sde_gpu,
    "dpmpp_2m_sde_heun": dpmpp_2m_sde_heun,
    "dpmpp_2m_sde_heun_gpu": dpmpp_2m_sde_heun_gpu,
    "dpmpp_3m_sde": dpmpp_3m_sde,
    "dpmpp_3m_sde_gpu": dpmpp_3m_sde_gpu,
}
