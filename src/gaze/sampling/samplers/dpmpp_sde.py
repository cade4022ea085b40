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

from typing import Literal

from torch import Tensor

from gaze.sampling.brownian import BrownianTreeNoise
from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.steps import ancestral_step

ETA = 1.0
"""ComfyUI's default: as much fresh noise per step as the SDE allows."""
SDE_MIDPOINT = 1 / 2
"""Where ``dpmpp_sde`` evaluates the model in between, as a fraction of the step in lambda."""

Correction = Literal["midpoint", "heun"]


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
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
            continue
        lambda_s = sampling.half_log_snr(sigmas[i])
        lambda_t = sampling.half_log_snr(sigmas[i + 1])
        h = lambda_t - lambda_s
        lambda_mid = lambda_s + SDE_MIDPOINT * h
        sigma_mid = sampling.sigma_from_half_log_snr(lambda_mid)
        alpha_s = sigmas[i] * lambda_s.exp()
        alpha_mid = sigma_mid * lambda_mid.exp()
        alpha_t = sigmas[i + 1] * lambda_t.exp()

        sigma_down, sigma_up = ancestral_step(lambda_s.neg().exp(), lambda_mid.neg().exp(), ETA)
        h_down = sigma_down.log().neg() - lambda_s
        x_mid = (alpha_mid / alpha_s) * (-h_down).exp() * x - alpha_mid * (
            -h_down
        ).expm1() * denoised
        x_mid = x_mid + alpha_mid * noise(sigmas[i], sigma_mid) * sigma_up
        denoised_mid = run.denoise(x_mid, sigma_mid)

        sigma_down, sigma_up = ancestral_step(lambda_s.neg().exp(), lambda_t.neg().exp(), ETA)
        h_down = sigma_down.log().neg() - lambda_s
        combined = (1 - weight_mid) * denoised + weight_mid * denoised_mid
        x = (alpha_t / alpha_s) * (-h_down).exp() * x - alpha_t * (-h_down).expm1() * combined
        x = x + alpha_t * noise(sigmas[i], sigmas[i + 1]) * sigma_up
    return x


def _dpmpp_2m_sde(
    run: SamplingRun, x: Tensor, sigmas: Tensor, correction: Correction, on_cpu: bool
) -> Tensor:
    """One model call per step: an exponential SDE step on this ``denoised``, corrected with
    the last step's (midpoint or Heun weights), plus Brownian noise."""
    if len(sigmas) <= 1:
        return x
    noise = brownian_noise(run, x, sigmas, on_cpu)
    sampling = run.model_sampling
    previous: tuple[Tensor, Tensor] | None = None  # the last step's denoised and h
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
            continue
        lambda_s = sampling.half_log_snr(sigmas[i])
        lambda_t = sampling.half_log_snr(sigmas[i + 1])
        h = lambda_t - lambda_s
        h_eta = h * (ETA + 1)
        alpha_t = sigmas[i + 1] * lambda_t.exp()
        x = _exponential_sde_step(x, denoised, sigmas[i], sigmas[i + 1], h, h_eta, alpha_t)
        if previous is not None:
            previous_denoised, previous_h = previous
            inverse_ratio = 1 / (previous_h / h)
            change = denoised - previous_denoised
            if correction == "heun":
                phi = (-h_eta).expm1().neg() / (-h_eta) + 1
                x = x + alpha_t * phi * inverse_ratio * change
            else:
                x = x + 0.5 * alpha_t * (-h_eta).expm1().neg() * inverse_ratio * change
        x = x + _sde_noise(noise, sigmas[i], sigmas[i + 1], h)
        previous = (denoised, h)
    return x


def _dpmpp_3m_sde(run: SamplingRun, x: Tensor, sigmas: Tensor, on_cpu: bool) -> Tensor:
    """Like ``dpmpp_2m_sde`` with the last two steps' ``denoised`` (second order on the
    second step, third order after)."""
    if len(sigmas) <= 1:
        return x
    noise = brownian_noise(run, x, sigmas, on_cpu)
    sampling = run.model_sampling
    earlier: list[tuple[Tensor, Tensor]] = []  # the last two steps' denoised and h, newest first
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
            continue
        lambda_s = sampling.half_log_snr(sigmas[i])
        lambda_t = sampling.half_log_snr(sigmas[i + 1])
        h = lambda_t - lambda_s
        h_eta = h * (ETA + 1)
        alpha_t = sigmas[i + 1] * lambda_t.exp()
        x = _exponential_sde_step(x, denoised, sigmas[i], sigmas[i + 1], h, h_eta, alpha_t)
        phi_2 = h_eta.neg().expm1() / h_eta + 1
        if len(earlier) == 2:
            (denoised_1, h_1), (denoised_2, h_2) = earlier
            r0, r1 = h_1 / h, h_2 / h
            slope_0 = (denoised - denoised_1) / r0
            slope_1 = (denoised_1 - denoised_2) / r1
            slope = slope_0 + (slope_0 - slope_1) * r0 / (r0 + r1)
            curvature = (slope_0 - slope_1) / (r0 + r1)
            phi_3 = phi_2 / h_eta - 0.5
            x = x + (alpha_t * phi_2) * slope - (alpha_t * phi_3) * curvature
        elif earlier:
            denoised_1, h_1 = earlier[0]
            x = x + (alpha_t * phi_2) * ((denoised - denoised_1) / (h_1 / h))
        x = x + _sde_noise(noise, sigmas[i], sigmas[i + 1], h)
        earlier = [(denoised, h), *earlier[:1]]
    return x


def _exponential_sde_step(
    x: Tensor,
    denoised: Tensor,
    sigma: Tensor,
    sigma_next: Tensor,
    h: Tensor,
    h_eta: Tensor,
    alpha_t: Tensor,
) -> Tensor:
    """The first-order part of a multistep SDE step, without its noise."""
    return sigma_next / sigma * (-h * ETA).exp() * x + alpha_t * (-h_eta).expm1().neg() * denoised


def _sde_noise(noise: BrownianTreeNoise, sigma: Tensor, sigma_next: Tensor, h: Tensor) -> Tensor:
    return noise(sigma, sigma_next) * sigma_next * (-2 * h * ETA).expm1().neg().sqrt()


def dpmpp_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_sde(run, x, sigmas, on_cpu=True)


def dpmpp_sde_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_sde(run, x, sigmas, on_cpu=False)


def dpmpp_2m_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_2m_sde(run, x, sigmas, "midpoint", on_cpu=True)


def dpmpp_2m_sde_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_2m_sde(run, x, sigmas, "midpoint", on_cpu=False)


def dpmpp_2m_sde_heun(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_2m_sde(run, x, sigmas, "heun", on_cpu=True)


def dpmpp_2m_sde_heun_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_2m_sde(run, x, sigmas, "heun", on_cpu=False)


def dpmpp_3m_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_3m_sde(run, x, sigmas, on_cpu=True)


def dpmpp_3m_sde_gpu(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _dpmpp_3m_sde(run, x, sigmas, on_cpu=False)


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
