"""Improved PNDM: Adams-Bashforth steps on the ODE derivative, up to fourth order.

``ipndm`` uses the textbook Adams-Bashforth weights, which assume equal steps; ``ipndm_v``
derives the weights from the actual step sizes (Zhang & Chen 2023, "Fast Sampling of Diffusion
Models with Exponential Integrator", and zju-pi's diff-solvers, as ComfyUI runs them). The first
steps have fewer earlier derivatives to use and run at a lower order; a step onto sigma 0 returns
the model's ``denoised``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.steps import linear_multistep

MAX_ORDER = 4
"""ComfyUI's default ``max_order``: the newest derivative and up to three earlier ones."""

StepUpdate = Callable[[Tensor, Sequence[Tensor], Tensor, int], Tensor]
"""``(x, derivatives newest first, sigmas, i) -> x at sigmas[i + 1]``."""


def _adams_bashforth(step: StepUpdate, run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    """Both variants; ``step`` turns the recent derivatives into the next x."""

    def update(x: Tensor, denoised: Tensor, recent: Sequence[Tensor], i: int) -> Tensor:
        return denoised if sigmas[i + 1] == 0 else step(x, recent, sigmas, i)

    return linear_multistep(run, x, sigmas, MAX_ORDER, update)


def _fixed_step_update(x: Tensor, d: Sequence[Tensor], sigmas: Tensor, i: int) -> Tensor:
    dt = sigmas[i + 1] - sigmas[i]
    if len(d) == 1:
        return x + dt * d[0]
    if len(d) == 2:
        return x + dt * (3 * d[0] - d[1]) / 2
    if len(d) == 3:
        return x + dt * (23 * d[0] - 16 * d[1] + 5 * d[2]) / 12
    return x + dt * (55 * d[0] - 59 * d[1] + 37 * d[2] - 9 * d[3]) / 24


def variable_step_weights(h: Sequence[Tensor]) -> list[Tensor]:
    """Adams-Bashforth weights of the newest and earlier derivatives for unequal steps ``h``
    (2 to 4 of them, newest first, signed as sigma changes)."""
    ratio_1 = h[0] / h[1]
    weights = [(2 + ratio_1) / 2, -ratio_1 / 2]
    if len(h) == 2:
        return weights
    span_01 = h[0] + h[1]
    span_12 = h[1] + h[2]
    ratio_2 = h[1] / h[2]
    third = (1 - h[0] / (3 * span_01) * (h[0] * span_01) / (h[1] * span_12)) / 2
    if len(h) == 3:
        return [weights[0] + third, weights[1] - (1 + ratio_2) * third, third * h[1] / h[2]]
    span_012 = span_01 + h[2]
    growth = h[1] * span_12 / (h[2] * (h[2] + h[3]))
    fourth = (
        ((1 - h[0] / (3 * span_01)) / 2 + (1 - h[0] / (2 * span_01)) * h[0] / (6 * span_012))
        * (h[0] * span_01 * span_012)
        / (h[1] * span_12 * (span_12 + h[3]))
    )
    return [
        weights[0] + third + fourth,
        weights[1] - (1 + ratio_2) * third - (1 + ratio_2 + growth) * fourth,
        third * h[1] / h[2] + (ratio_2 + growth * (1 + h[2] / h[3])) * fourth,
        -fourth * growth * h[1] / h[2],
    ]


def _variable_step_update(x: Tensor, d: Sequence[Tensor], sigmas: Tensor, i: int) -> Tensor:
    steps = [sigmas[i + 1 - k] - sigmas[i - k] for k in range(len(d))]
    if len(d) == 1:
        return x + steps[0] * d[0]
    weights = variable_step_weights(steps)
    combined = weights[0] * d[0]
    for weight, earlier in zip(weights[1:], d[1:], strict=True):
        combined = combined + weight * earlier
    return x + steps[0] * combined


def ipndm(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _adams_bashforth(_fixed_step_update, run, x, sigmas)


def ipndm_v(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return _adams_bashforth(_variable_step_update, run, x, sigmas)


SAMPLERS: dict[str, Sampler] = {"ipndm": ipndm, "ipndm_v": ipndm_v}
