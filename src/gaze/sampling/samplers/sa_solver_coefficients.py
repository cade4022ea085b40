"""The weights of SA-Solver's stochastic Adams steps (Xue et al. 2023, arXiv:2309.05019, eqs.
15 and 18), in data prediction and half log-SNR (lambda) time, as ComfyUI computes them.

A step from ``lambda_s`` to ``lambda_t`` integrates the Lagrange polynomial through the
``denoised`` of the last few steps against ``exp((1 + tau**2) * lambda)``. The integrals of
``lambda**p * exp(...)`` come by parts as one triangular matrix product; solving the transposed
Vandermonde system of the steps' lambdas turns them into one weight per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

TauFunction = Callable[[Tensor], float]
"""The stochasticity ``tau`` of a step, given the sigma it lands on (0 is the ODE)."""


def exponential_integrals(lambda_s: Tensor, lambda_t: Tensor, order: int, tau: float) -> Tensor:
    """``(1 + tau**2)`` times the integral of ``exp((1 + tau**2) * lambda) * lambda**p`` from
    ``lambda_s`` to ``lambda_t``, with ``exp((1 + tau**2) * lambda_t)`` factored out, for ``p``
    from 0 to ``order - 1``."""
    tau_mul = 1 + tau**2
    h = lambda_t - lambda_s
    p = torch.arange(order, dtype=lambda_s.dtype, device=lambda_s.device)
    boundary_terms = lambda_t**p - lambda_s**p * (-tau_mul * h).exp()
    depth = p.unsqueeze(1) - p.unsqueeze(0)
    log_factorial = (p + 1).lgamma()
    log_weights = log_factorial.unsqueeze(1) - log_factorial.unsqueeze(0)
    if tau > 0:
        log_weights = log_weights - depth * math.log(tau_mul)
    signs = torch.where(depth % 2 == 0, 1.0, -1.0)
    by_parts = (log_weights.exp() * signs).tril()
    return by_parts @ boundary_terms


def stochastic_adams_weights(
    sigma_next: Tensor, step_lambdas: Tensor, lambda_s: Tensor, lambda_t: Tensor, tau: float
) -> Tensor:
    """One weight per ``denoised`` at ``step_lambdas`` (oldest first) for the step from
    ``lambda_s`` to ``lambda_t``, which lands on ``sigma_next``."""
    order = step_lambdas.shape[0]
    integrals = exponential_integrals(lambda_s, lambda_t, order, tau)
    vandermonde = torch.vander(step_lambdas, order, increasing=True).T
    lagrange_integrals = torch.linalg.solve(vandermonde, integrals)
    alpha_t = sigma_next * lambda_t.exp()
    return alpha_t * lagrange_integrals


def tau_in_interval(start_sigma: float, end_sigma: float, eta: float = 1.0) -> TauFunction:
    """``eta`` for steps landing between ``start_sigma`` and ``end_sigma`` (inclusive), else 0:
    ComfyUI's SA-Solver stochasticity, an interval in sigma rather than the paper's time."""

    def tau(sigma: Tensor) -> float:
        if eta <= 0:
            return 0.0
        return eta if start_sigma >= sigma.item() >= end_sigma else 0.0

    return tau
