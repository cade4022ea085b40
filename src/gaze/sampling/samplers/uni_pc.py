"""UniPC (Zhao et al. 2023), multistep, order 3, as ComfyUI's ``uni_pc`` and ``uni_pc_bh2`` run it.

UniPC works in the variance-preserving scale: ``x_vp = x * alpha`` with ``alpha = 1 /
sqrt(1 + sigma**2)`` and noise level ``std = sigma * alpha``, and steps in the half log-SNR
``lambda = log(alpha / std)``, predicting the data (x0). Each step is a predictor (a multistep
exponential-integrator update) followed by a corrector that reuses the model's evaluation at
the predicted point, which also serves as the next step's history; the final step has no
corrector and no model evaluation. ``bh1`` and ``bh2`` differ in ``B(h)``: ``h`` or ``e^h - 1``.

ComfyUI's own arithmetic is kept: ``alpha``, ``std`` and ``lambda`` come from sigma through
``log alpha = 0.5 * log(1 / (sigma**2 + 1))``; x0 is recomputed from the model's noise
prediction; a last sigma of 0 becomes 0.001 (the result keeps that much noise); the order is
``min(3, len(sigmas) - 2)``, so a one-step run evaluates the model once and only rescales ``x``.
Only the discrete EPS/v-prediction branch exists here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun

Variant = Literal["bh1", "bh2"]

MAX_ORDER = 3
LAST_SIGMA_FOR_ZERO = 0.001
"""What ComfyUI's UniPC integrates to instead of a last sigma of 0."""


def _log_alpha(sigma: Tensor) -> Tensor:
    return 0.5 * torch.log(1 / ((sigma * sigma) + 1))


def vp_alpha(sigma: Tensor) -> Tensor:
    """The VP signal scale at ``sigma``: ``1 / sqrt(1 + sigma**2)``."""
    return torch.exp(_log_alpha(sigma))


def vp_std(sigma: Tensor) -> Tensor:
    """The VP noise scale at ``sigma``: ``sigma / sqrt(1 + sigma**2)``."""
    return torch.sqrt(1.0 - torch.exp(2.0 * _log_alpha(sigma)))


def vp_half_log_snr(sigma: Tensor) -> Tensor:
    """``lambda = log(alpha / std)``, from ``log alpha`` as ComfyUI computes it."""
    log_alpha = _log_alpha(sigma)
    return log_alpha - 0.5 * torch.log(1.0 - torch.exp(2.0 * log_alpha))


def _per_item(values: Tensor, x: Tensor) -> Tensor:
    return values.reshape(values.shape[:1] + (1,) * (x.ndim - 1))


def _predict_x0(run: SamplingRun, x_vp: Tensor, sigma: Tensor) -> Tensor:
    """The data prediction at ``x_vp``, through the model's noise prediction (``sigma``: (b,))."""
    sigma_b = _per_item(sigma, x_vp)
    x = x_vp * ((sigma_b**2 + 1.0) ** 0.5)
    noise = (x - run.model(x, sigma)) / sigma_b
    return (x_vp - _per_item(vp_std(sigma), x_vp) * noise) / _per_item(vp_alpha(sigma), x_vp)


@dataclass(frozen=True)
class _Coefficients:
    """The scalar weights of one UniPC step of a given order."""

    h_phi_1: Tensor
    """``e^(-h) - 1``: the first-order (DDIM) weight of the newest x0."""
    b_h: Tensor
    predictor: Tensor | None
    """Weights of the earlier x0 differences (``None`` when there are none)."""
    corrector: Tensor
    """Weights of the earlier differences and, last, of the new point's."""


def _coefficients(ratios: list[Tensor], h: Tensor, order: int, variant: Variant) -> _Coefficients:
    """Solve UniPC's order conditions for step ``h`` (in lambda) and the earlier points at
    ``ratios`` (their lambda offsets over ``h``)."""
    hh = -h
    h_phi_1 = torch.expm1(hh)
    b_h = hh if variant == "bh1" else torch.expm1(hh)
    nodes = torch.tensor([*ratios, 1.0], device=h.device)
    powers = []
    targets = []
    h_phi_k = h_phi_1 / hh - 1
    factorial = 1
    for k in range(1, order + 1):
        powers.append(torch.pow(nodes, k - 1))
        targets.append(h_phi_k * factorial / b_h)
        factorial *= k + 1
        h_phi_k = h_phi_k / hh - 1 / factorial
    system = torch.stack(powers)
    rhs = torch.tensor(targets, device=h.device)
    predictor = None
    if ratios:
        if order == 2:
            predictor = torch.tensor([0.5], device=h.device)
        else:
            predictor = torch.linalg.solve(system[:-1, :-1], rhs[:-1])
    if order == 1:
        corrector = torch.tensor([0.5], device=h.device)
    else:
        corrector = torch.linalg.solve(system, rhs)
    return _Coefficients(h_phi_1=h_phi_1, b_h=b_h, predictor=predictor, corrector=corrector)


@dataclass
class _History:
    """The last few points UniPC has visited (oldest first): each VP time and its x0."""

    times: list[Tensor]
    x0s: list[Tensor]

    def push(self, time: Tensor, x0: Tensor | None, keep: int) -> None:
        """Add a point, dropping the oldest when ``keep`` are held; a point without a new x0
        (the final one) keeps repeating the newest x0 as ComfyUI's buffer does."""
        if len(self.times) < keep:
            self.times.append(time)
            self.x0s.append(x0 if x0 is not None else self.x0s[-1])
            return
        self.times = [*self.times[1:], time]
        self.x0s = [*self.x0s[1:], x0 if x0 is not None else self.x0s[-1]]


def _step(
    run: SamplingRun,
    x: Tensor,
    history: _History,
    t: Tensor,
    order: int,
    variant: Variant,
    correct: bool,
) -> tuple[Tensor, Tensor | None]:
    """One UniPC step from the newest point of ``history`` to ``t``: the new ``x`` and, when
    ``correct``, the model's x0 at the predicted point."""
    t_prev, x0_prev = history.times[-1], history.x0s[-1]
    lambda_prev = vp_half_log_snr(t_prev)
    h = vp_half_log_snr(t) - lambda_prev
    ratios: list[Tensor] = []
    differences: list[Tensor] = []
    for back in range(1, order):
        ratio = ((vp_half_log_snr(history.times[-(back + 1)]) - lambda_prev) / h)[0]
        ratios.append(ratio)
        differences.append((history.x0s[-(back + 1)] - x0_prev) / ratio)
    weights = _coefficients(ratios, h[0], order, variant)
    alpha_t = torch.exp(_log_alpha(t))
    stacked = torch.stack(differences, dim=1) if differences else None

    x_first_order = (
        _per_item(vp_std(t) / vp_std(t_prev), x) * x
        - _per_item(alpha_t * weights.h_phi_1, x) * x0_prev
    )
    residual_scale = _per_item(alpha_t * weights.b_h, x)
    x_t = x_first_order
    if stacked is not None and weights.predictor is not None:
        x_t = x_first_order - residual_scale * _weighted_sum(weights.predictor, stacked)
    if not correct:
        return x_t, None
    x0_t = _predict_x0(run, x_t, t)
    correction = weights.corrector[-1] * (x0_t - x0_prev)
    if stacked is not None:
        correction = _weighted_sum(weights.corrector[:-1], stacked) + correction
    return x_first_order - residual_scale * correction, x0_t


def _weighted_sum(weights: Tensor, stacked: Tensor) -> Tensor:
    """``sum_k weights[k] * stacked[:, k]`` for ``stacked`` of shape (b, k, ...)."""
    return torch.einsum("k,bkchw->bchw", weights, stacked)


def _uni_pc(run: SamplingRun, x: Tensor, sigmas: Tensor, variant: Variant) -> Tensor:
    if len(sigmas) < 2:
        return x
    times = sigmas.clone()
    if times[-1] == 0:
        times[-1] = LAST_SIGMA_FOR_ZERO
    steps = len(times) - 1
    order = min(MAX_ORDER, len(times) - 2)
    batch = x.shape[0]
    x = x / torch.sqrt(1.0 + times[0] ** 2.0)

    for index in range(steps):
        t = times[index].expand(batch)
        if index == 0:
            history = _History(times=[t], x0s=[_predict_x0(run, x, t)])
        elif index < order:
            x, x0 = _step(run, x, history, t, index, variant, correct=True)
            history.push(t, x0, keep=order)
        else:
            last = steps if index == steps - 1 else index
            for step in range(index, last + 1):
                t = times[step].expand(batch)
                step_order = min(order, steps + 1 - step)
                x, x0 = _step(run, x, history, t, step_order, variant, correct=step < steps)
                history.push(t, x0, keep=order)
        at = times[index] if index < steps - 1 else times[-1]
        run.report(index, x / vp_alpha(at), sigmas[index], history.x0s[-1])
    return x / vp_alpha(times[-1])


def uni_pc(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _uni_pc(run, x, sigmas, "bh1")


def uni_pc_bh2(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _uni_pc(run, x, sigmas, "bh2")


SAMPLERS: dict[str, Sampler] = {"uni_pc": uni_pc, "uni_pc_bh2": uni_pc_bh2}
