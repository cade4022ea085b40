"""SEEDS: stochastic explicit exponential derivative-free solvers (Gonzalez et al. 2023), in
data prediction and half log-SNR time, as ComfyUI runs ``seeds_2`` and ``seeds_3``.

Each step evaluates the model at the start and at one (``seeds_2``) or two (``seeds_3``) noise
levels in between, each stage an exponential step plus fresh noise. The noise of a stage carries
over, decayed, into the next one, so every step adds one noise path. The noise is ancestral
(its own generator, seed + 1 on the CPU), one draw per stage, eta 1. A step onto sigma 0 returns
``denoised``. ComfyUI would use another half log-SNR for flow (CONST) models; this is the
discrete EPS / v-prediction one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import NoiseSampler, ancestral_noise
from gaze.sampling.samplers.exponential_step import (
    ExponentialStep,
    exponential_steps,
    h_phi_1,
    h_phi_2,
)

SecondStage = Literal["phi_1", "phi_2"]
"""How a two-stage step combines its ``denoised``: a plain mix (``phi_1``) or the
second-order exponential weights (``phi_2``)."""


@dataclass(frozen=True)
class Stochasticity:
    """How much fresh noise the stages add: ``eta`` (0 is the ODE) and its scale."""

    eta: float = 1.0
    s_noise: float = 1.0

    @property
    def adds_noise(self) -> bool:
        return self.eta > 0 and self.s_noise > 0


def two_stage_seeds(
    run: SamplingRun,
    x: Tensor,
    sigmas: Tensor,
    stochasticity: Stochasticity,
    r: float,
    second_stage: SecondStage,
) -> Tensor:
    """SEEDS-2 with its in-between point a fraction ``r`` of the way in lambda (also
    ``exp_heun_2_x0`` with ``r`` 1, which evaluates the model at the step's end)."""
    noise = ancestral_noise(x, run.seed)
    sampling = run.model_sampling
    eta, s_noise = stochasticity.eta, stochasticity.s_noise
    mix = 1 / (2 * r)

    def update(x: Tensor, denoised: Tensor, step: ExponentialStep) -> Tensor:
        sigma_mid, alpha_mid = step.point(sampling, r)
        x_mid = step.first_order(x, denoised, r, sigma_mid, alpha_mid)
        if stochasticity.adds_noise:
            path = _fresh_path(step, r, noise, sigma_mid)
            x_mid = x_mid + path * sigma_mid * s_noise
        denoised_mid = run.denoise(x_mid, sigma_mid)

        if second_stage == "phi_1":
            x = step.to_end(x, torch.lerp(denoised, denoised_mid, mix))
        else:
            x = step.second_order_to_end(x, denoised, denoised_mid, r)
        if stochasticity.adds_noise:
            path = _carried(path, (r - 1) * step.h * eta, noise, sigma_mid, step.sigma_next)
            x = x + path * step.sigma_next * s_noise
        return x

    return exponential_steps(run, x, sigmas, eta, update)


def _fresh_path(step: ExponentialStep, r: float, noise: NoiseSampler, sigma_r: Tensor) -> Tensor:
    """The noise path of a step's first stage, a fraction ``r`` of the way (not yet scaled)."""
    coefficient = (-2 * r * step.h * step.eta).expm1().neg().sqrt()
    return coefficient * noise(step.sigma, sigma_r)


def _carried(
    path: Tensor, segment: Tensor, noise: NoiseSampler, sigma_from: Tensor, sigma_to: Tensor
) -> Tensor:
    """A stage's noise path decayed over a segment (``-eta`` times its length in lambda) plus
    the fresh noise of that segment."""
    path = path * segment.exp()
    return path + segment.mul(2).expm1().neg().sqrt() * noise(sigma_from, sigma_to)


SEEDS_2_MIDPOINT = 0.5
SEEDS_3_POINTS = (1.0 / 3, 2.0 / 3)


def seeds_2(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return two_stage_seeds(run, x, sigmas, Stochasticity(), SEEDS_2_MIDPOINT, "phi_1")


def seeds_3(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    """Three stages per step, at fractions 1/3 and 2/3 of the way in lambda."""
    noise = ancestral_noise(x, run.seed)
    sampling = run.model_sampling
    eta, s_noise = 1.0, 1.0
    r_1, r_2 = SEEDS_3_POINTS

    def update(x: Tensor, denoised: Tensor, step: ExponentialStep) -> Tensor:
        h, h_eta = step.h, step.h_eta
        sigma_1, alpha_1 = step.point(sampling, r_1)
        sigma_2, alpha_2 = step.point(sampling, r_2)

        x_1 = step.first_order(x, denoised, r_1, sigma_1, alpha_1)
        path = _fresh_path(step, r_1, noise, sigma_1)
        x_1 = x_1 + path * sigma_1 * s_noise
        denoised_1 = run.denoise(x_1, sigma_1)

        weight_1 = r_2 / r_1 * h_phi_2(-r_2 * h_eta)
        weight = h_phi_1(-r_2 * h_eta) - weight_1
        x_2 = step.decayed(x, r_2, sigma_2) - alpha_2 * (weight * denoised + weight_1 * denoised_1)
        path = _carried(path, (r_1 - r_2) * h * eta, noise, sigma_1, sigma_2)
        x_2 = x_2 + path * sigma_2 * s_noise
        denoised_2 = run.denoise(x_2, sigma_2)

        x = step.second_order_to_end(x, denoised, denoised_2, r_2)
        path = _carried(path, (r_2 - 1) * h * eta, noise, sigma_2, step.sigma_next)
        return x + path * step.sigma_next * s_noise

    return exponential_steps(run, x, sigmas, eta, update)


SAMPLERS: dict[str, Sampler] = {"seeds_2": seeds_2, "seeds_3": seeds_3}
