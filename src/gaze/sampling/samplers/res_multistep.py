"""RES multistep (Zhang et al. 2023, arXiv:2308.02157): a second-order exponential multistep
method in data prediction and half log-SNR time, as ComfyUI runs ``res_multistep`` (the ODE)
and ``res_multistep_ancestral`` (eta 1, ancestral noise).

The first step, and any step whose target (``sigma_down``) is 0, is an Euler step. Every other
step combines this step's ``denoised`` with the previous one, weighted by where the previous
step started and where it landed. The ancestral form steps down to ``sigma_down`` and adds
``sigma_up`` of fresh noise. ComfyUI would use another half log-SNR for flow (CONST) models;
this is the discrete EPS / v-prediction one.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import ancestral_noise
from gaze.sampling.samplers.steps import ancestral_step, to_d


def phi_1(t: Tensor) -> Tensor:
    """``phi_1(t) = (exp(t) - 1) / t`` of the exponential integrators."""
    return torch.expm1(t) / t


def phi_2(t: Tensor) -> Tensor:
    """``phi_2(t) = (phi_1(t) - 1) / t``."""
    return (phi_1(t) - 1.0) / t


def res_multistep_with_eta(run: SamplingRun, x: Tensor, sigmas: Tensor, eta: float) -> Tensor:
    """RES multistep with ``eta`` of ancestral noise (0 is the ODE)."""
    noise = ancestral_noise(x, run.seed)
    lambda_of = run.model_sampling.half_log_snr
    previous_denoised: Tensor | None = None
    previous_sigma_down = sigmas[0]
    for i in range(len(sigmas) - 1):
        sigma, sigma_next = sigmas[i], sigmas[i + 1]
        denoised = run.denoise(x, sigma)
        sigma_down, sigma_up = ancestral_step(sigma, sigma_next, eta)
        run.report(i, x, sigma, denoised)
        if sigma_down == 0 or previous_denoised is None:
            x = x + to_d(x, sigma, denoised) * (sigma_down - sigma)
        else:
            lambda_s = lambda_of(sigma)
            h = lambda_of(sigma_down) - lambda_s
            c_2 = (lambda_of(sigmas[i - 1]) - lambda_of(previous_sigma_down)) / h
            phi_1_h, phi_2_h = phi_1(-h), phi_2(-h)
            weight = torch.nan_to_num(phi_1_h - phi_2_h / c_2, nan=0.0)
            weight_previous = torch.nan_to_num(phi_2_h / c_2, nan=0.0)
            x = (-h).exp() * x + h * (weight * denoised + weight_previous * previous_denoised)
        if eta and sigma_next > 0:
            x = x + noise(sigma, sigma_next) * sigma_up
        previous_denoised = denoised
        previous_sigma_down = sigma_down
    return x


def res_multistep(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return res_multistep_with_eta(run, x, sigmas, eta=0.0)


def res_multistep_ancestral(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return res_multistep_with_eta(run, x, sigmas, eta=1.0)


SAMPLERS: dict[str, Sampler] = {
    "res_multistep": res_multistep,
    "res_multistep_ancestral": res_multistep_ancestral,
}
