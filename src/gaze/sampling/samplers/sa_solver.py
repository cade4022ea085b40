"""SA-Solver, the stochastic Adams predictor-corrector (Xue et al. 2023), as ComfyUI runs
``sa_solver`` and ``sa_solver_pece``.

Each step evaluates the model once, corrects the previous prediction with an Adams step of up
to fourth order that includes the new ``denoised``, then predicts the next state with an Adams
step of up to third order on the last ``denoised``; the orders drop near the end when the
sigmas end at 0. ``sa_solver_pece`` evaluates the model again on each corrected state (two
calls a step after the first). Steps landing between the sigmas 20% and 80% of the way through
the model's schedule add ancestral noise (tau 1; its own generator, seed + 1 on the CPU); the
others follow the ODE. ComfyUI's ``simple_order_2`` option is off by default and left out.
ComfyUI would use another half log-SNR (and move a first sigma of 1) for flow (CONST) models;
this is the discrete EPS / v-prediction one.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import ancestral_noise
from gaze.sampling.samplers.sa_solver_coefficients import (
    stochastic_adams_weights,
    tau_in_interval,
)

PREDICTOR_ORDER = 3
CORRECTOR_ORDER = 4
NOISY_FROM_PERCENT = 0.2
NOISY_TO_PERCENT = 0.8


def _adams_sum(history: list[Tensor], weights: Tensor) -> Tensor:
    """``sum_k weights[k] * history[-len(weights) + k]`` over the batch."""
    stacked = torch.stack(history[-len(weights) :], dim=1)
    return torch.tensordot(stacked, weights, dims=([1], [0]))


def stochastic_adams(run: SamplingRun, x: Tensor, sigmas: Tensor, pece: bool) -> Tensor:
    noise = ancestral_noise(x, run.seed)
    sampling = run.model_sampling
    tau_of = tau_in_interval(
        sampling.percent_to_sigma(NOISY_FROM_PERCENT), sampling.percent_to_sigma(NOISY_TO_PERCENT)
    )
    lambdas = sampling.half_log_snr(sigmas)
    lower_order_to_end = sigmas[-1].item() == 0
    last = len(sigmas) - 1
    x_pred = x
    h = sigmas.new_zeros(())
    tau = 0.0
    added_noise = torch.zeros_like(x)
    history: list[Tensor] = []
    for i in range(last):
        sigma, sigma_next = sigmas[i], sigmas[i + 1]
        denoised = run.denoise(x_pred, sigma)
        run.report(i, x_pred, sigma, denoised)
        history = [*history, denoised][-max(PREDICTOR_ORDER, CORRECTOR_ORDER) :]

        predictor_order = min(PREDICTOR_ORDER, len(history))
        corrects = i > 0 and (sigma_next != 0 or pece)
        corrector_order = min(CORRECTOR_ORDER, len(history)) if corrects else 0
        if lower_order_to_end:
            predictor_order = min(predictor_order, last - 1 - i)
            corrector_order = min(corrector_order, last - i)

        if corrector_order == 0:
            x = x_pred
        else:
            weights = stochastic_adams_weights(
                sigma, lambdas[i - corrector_order + 1 : i + 1], lambdas[i - 1], lambdas[i], tau
            )
            decay = sigma / sigmas[i - 1] * (-(tau**2) * h).exp()
            x = decay * x + _adams_sum(history, weights)
            if tau > 0:
                x = x + added_noise
            if pece:
                denoised = run.denoise(x, sigma)
                history[-1] = denoised

        if sigma_next == 0:
            x_pred = denoised
            continue
        tau = tau_of(sigma_next)
        weights = stochastic_adams_weights(
            sigma_next, lambdas[i - predictor_order + 1 : i + 1], lambdas[i], lambdas[i + 1], tau
        )
        h = lambdas[i + 1] - lambdas[i]
        x_pred = sigma_next / sigma * (-(tau**2) * h).exp() * x + _adams_sum(history, weights)
        if tau > 0:
            spread = (-2 * tau**2 * h).expm1().neg().sqrt()
            added_noise = noise(sigma, sigma_next) * sigma_next * spread
            x_pred = x_pred + added_noise
    return x_pred


def sa_solver(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return stochastic_adams(run, x, sigmas, pece=False)


def sa_solver_pece(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return stochastic_adams(run, x, sigmas, pece=True)


SAMPLERS: dict[str, Sampler] = {"sa_solver": sa_solver, "sa_solver_pece": sa_solver_pece}
