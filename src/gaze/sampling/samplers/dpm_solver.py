"""DPM-Solver (Lu et al. 2022) as k-diffusion's ``DPMSolver`` runs it: ``dpm_fast`` and
``dpm_adaptive``.

Both solve the probability-flow ODE in ``t = -log(sigma)`` with the model's noise prediction
``eps = (x - denoised) / sigma``, and both ignore the scheduler's sigmas except for the ends, as
ComfyUI calls them: from ``sigmas[0]`` down to the last sigma, or to the one before it when the
last is 0 (they stop there, with that much noise left, and never step onto 0).

- ``dpm_fast`` spends exactly ``len(sigmas) - 1`` model calls on equal steps in t: third-order
  steps, the last one or two of lower order so the calls add up. It reports once per model
  call, so progress counts the steps it was asked for.
- ``dpm_adaptive`` takes steps of order 3, each checked against an embedded order-2 solution and
  its size set by an integral controller (k-diffusion's defaults: rtol 0.05, atol 0.0078, first
  step 0.05 in t); a rejected step is retried smaller. How many steps it takes is not known in
  advance; it reports once per attempted step (three model calls), as ComfyUI's progress does.

ComfyUI's defaults have eta 0 (no noise is added), so both are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun

NoisePrediction = Callable[[Tensor, Tensor], Tensor]
"""``eps = predict(x, t)``: the model's noise prediction at ``x`` and time ``t``."""

THIRD_ORDER_FIRST = 1 / 3
THIRD_ORDER_SECOND = 2 / 3
"""Where a third-order step evaluates the model in between, as fractions of the step in t."""

ADAPTIVE_RELATIVE_TOLERANCE = 0.05
ADAPTIVE_ABSOLUTE_TOLERANCE = 0.0078
ADAPTIVE_FIRST_STEP = 0.05
ADAPTIVE_ORDER = 3
ADAPTIVE_ACCEPT_SAFETY = 0.81
ADAPTIVE_END_MARGIN = 1e-5
"""The adaptive loop stops when t is within this of its end."""


def _t(sigma: Tensor) -> Tensor:
    return sigma.log().neg()


def _sigma(t: Tensor) -> Tensor:
    return t.neg().exp()


def first_order_step(x: Tensor, t: Tensor, t_next: Tensor, eps: Tensor) -> Tensor:
    h = t_next - t
    return x - _sigma(t_next) * h.expm1() * eps


def second_order_step(
    predict: NoisePrediction, x: Tensor, t: Tensor, t_next: Tensor, eps: Tensor, r1: float
) -> tuple[Tensor, Tensor]:
    """The step and the noise prediction it took at ``t + r1 * h``."""
    h = t_next - t
    s1 = t + r1 * h
    u1 = x - _sigma(s1) * (r1 * h).expm1() * eps
    eps_r1 = predict(u1, s1)
    x_next = (
        x
        - _sigma(t_next) * h.expm1() * eps
        - _sigma(t_next) / (2 * r1) * h.expm1() * (eps_r1 - eps)
    )
    return x_next, eps_r1


def third_order_step(
    predict: NoisePrediction,
    x: Tensor,
    t: Tensor,
    t_next: Tensor,
    eps: Tensor,
    eps_r1: Tensor | None = None,
) -> Tensor:
    """``eps_r1``, the prediction at a third of the step, is taken if not given."""
    r1, r2 = THIRD_ORDER_FIRST, THIRD_ORDER_SECOND
    h = t_next - t
    s1 = t + r1 * h
    s2 = t + r2 * h
    if eps_r1 is None:
        eps_r1 = predict(x - _sigma(s1) * (r1 * h).expm1() * eps, s1)
    u2 = (
        x
        - _sigma(s2) * (r2 * h).expm1() * eps
        - _sigma(s2) * (r2 / r1) * ((r2 * h).expm1() / (r2 * h) - 1) * (eps_r1 - eps)
    )
    eps_r2 = predict(u2, s2)
    return (
        x
        - _sigma(t_next) * h.expm1() * eps
        - _sigma(t_next) / r2 * (h.expm1() / h - 1) * (eps_r2 - eps)
    )


def _solver_ends(sigmas: Tensor) -> tuple[Tensor, Tensor]:
    """``(t_start, t_end)`` as ComfyUI picks them: a last sigma of 0 is replaced by the one
    before it."""
    sigma_min = sigmas[-2] if sigmas[-1] == 0 else sigmas[-1]
    sigma_max = sigmas[0]
    if sigma_min <= 0 or sigma_max <= 0:
        raise ValueError("sigma_min and sigma_max must not be 0")
    return _t(sigma_max.clone()), _t(sigma_min.clone())


def fast_step_orders(model_calls: int) -> list[int]:
    """The orders of ``dpm_fast``'s steps: third order, with the calls left over at the end."""
    steps = model_calls // 3 + 1
    if model_calls % 3 == 0:
        return [3] * (steps - 2) + [2, 1]
    return [3] * (steps - 1) + [model_calls % 3]


def dpm_fast(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    t_start, t_end = _solver_ends(sigmas)
    orders = fast_step_orders(len(sigmas) - 1)
    ts = torch.linspace(t_start, t_end, len(orders) + 1, device=x.device)
    calls = 0

    def predict(x_at: Tensor, t: Tensor) -> Tensor:
        nonlocal calls
        sigma = _sigma(t)
        denoised = run.denoise(x_at, sigma)
        run.report(calls, x_at, sigma, denoised)
        calls += 1
        return (x_at - denoised) / _sigma(t)

    for i, order in enumerate(orders):
        t, t_next = ts[i], ts[i + 1]
        eps = predict(x, t)
        if order == 1:
            x = first_order_step(x, t, t_next, eps)
        elif order == 2:
            x, _eps_mid = second_order_step(predict, x, t, t_next, eps, r1=1 / 2)
        else:
            x = third_order_step(predict, x, t, t_next, eps)
    return x


@dataclass
class IntegralStepController:
    """k-diffusion's PID step-size controller with its default gains, integral only (so it
    keeps no history): the step is scaled by ``error ** (-1 / order)``, softened to
    ``1 + atan(factor - 1)``, and accepted when that factor is at least ``accept_safety``."""

    h: float
    order: int
    accept_safety: float = ADAPTIVE_ACCEPT_SAFETY
    epsilon: float = 1e-8

    def propose_step(self, error: float) -> bool:
        """Whether the step just tried is accepted; either way ``h`` becomes the next try."""
        factor = (1 / (error + self.epsilon)) ** (1 / self.order)
        factor = 1 + math.atan(factor - 1)
        self.h *= factor
        return factor >= self.accept_safety


def dpm_adaptive(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    t_start, t_end = _solver_ends(sigmas)

    def predict(x_at: Tensor, t: Tensor) -> Tensor:
        return (x_at - run.denoise(x_at, _sigma(t))) / _sigma(t)

    absolute_tolerance = torch.tensor(ADAPTIVE_ABSOLUTE_TOLERANCE)
    relative_tolerance = torch.tensor(ADAPTIVE_RELATIVE_TOLERANCE)
    controller = IntegralStepController(h=ADAPTIVE_FIRST_STEP, order=ADAPTIVE_ORDER)
    s = t_start
    x_previous_low = x
    attempts = 0
    while s < t_end - ADAPTIVE_END_MARGIN:
        t = torch.minimum(t_end, s + controller.h)
        eps = predict(x, s)
        run.report(attempts, x, _sigma(s), x - _sigma(s) * eps)
        attempts += 1
        x_low, eps_r1 = second_order_step(predict, x, s, t, eps, r1=THIRD_ORDER_FIRST)
        x_high = third_order_step(predict, x, s, t, eps, eps_r1)
        scale = torch.maximum(
            absolute_tolerance,
            relative_tolerance * torch.maximum(x_low.abs(), x_previous_low.abs()),
        )
        error = torch.linalg.norm((x_low - x_high) / scale) / x.numel() ** 0.5
        if controller.propose_step(float(error)):
            x_previous_low = x_low
            x = x_high
            s = t
    return x


SAMPLERS: dict[str, Sampler] = {"dpm_fast": dpm_fast, "dpm_adaptive": dpm_adaptive}
