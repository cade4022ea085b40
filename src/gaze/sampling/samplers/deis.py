"""DEIS: the diffusion exponential integrator sampler (Zhang & Chen 2023), ComfyUI's ``deis``.

Each step adds the newest ODE derivative ``d`` and up to two earlier ones, weighted by
integrating their Lagrange polynomials against the exponential integrator's kernel (the
"tAB" variant ComfyUI runs by default). The integral is taken in the time ``t`` of a
variance-preserving SDE that ComfyUI fixes to EDM's range (sigma 0.002 to 80), whatever the
model, as a sum over 10,000 points; the arithmetic follows ComfyUI's, in float32 on the CPU.
The first step, and any step onto sigma 0, is an Euler step.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.steps import linear_multistep

MAX_ORDER = 3
"""ComfyUI's default ``max_order``: the newest derivative and up to two earlier ones."""
INTEGRATION_POINTS = 10_000

VP_EPSILON = 1e-3
"""The VP SDE's time at ``VP_SIGMA_MIN``; its time at ``VP_SIGMA_MAX`` is 1."""
VP_SIGMA_MIN = 0.002
VP_SIGMA_MAX = 80.0


class _VPSchedule:
    """A linear-beta VP SDE whose noise levels run from ``VP_SIGMA_MIN`` to ``VP_SIGMA_MAX``.

    ``alpha(t) = exp(-beta_min t - beta_d t**2 / 2)`` is the kept signal power at time ``t``
    and ``sigma(t)**2 = 1 / alpha(t) - 1``.
    """

    def __init__(self) -> None:
        log_min = torch.log(torch.tensor(VP_SIGMA_MIN) ** 2 + 1)
        log_max = torch.log(torch.tensor(VP_SIGMA_MAX) ** 2 + 1)
        self.beta_d = 2 * (log_min / VP_EPSILON - log_max) / (VP_EPSILON - 1)
        self.beta_min = log_max - 0.5 * self.beta_d
        self.beta_max = self.beta_d + self.beta_min

    def time(self, sigma: Tensor) -> Tensor:
        """The VP time of each noise level: the inverse of ``sigma(t)``."""
        log_variance = (sigma.detach().cpu() ** 2 + 1).log()
        root = (self.beta_min**2 + 2 * self.beta_d * log_variance).sqrt()
        return (root - self.beta_min) / self.beta_d

    def kernel(self, t: Tensor) -> Tensor:
        """The integrand weighting ``d`` in a DEIS step: ``-(d log alpha / dt) / (2 sqrt(alpha
        (1 - alpha)))``."""
        slope = self.beta_max - self.beta_min
        alpha = torch.exp(-0.5 * t**2 * slope - t * self.beta_min)
        d_log_alpha = -slope * t - self.beta_min
        return -0.5 * d_log_alpha / torch.sqrt(alpha * (1 - alpha))


def _lagrange_basis(nodes: Tensor, j: int, t: Tensor) -> Tensor:
    """The Lagrange polynomial through ``nodes`` that is 1 at ``nodes[j]``, evaluated at ``t``."""
    basis = t.new_ones(t.shape)
    for k in range(len(nodes)):
        if k != j:
            basis = basis * ((t - nodes[k]) / (nodes[j] - nodes[k]))
    return basis


def deis_weights(sigmas: Tensor, max_order: int = MAX_ORDER) -> list[list[Tensor]]:
    """For each step ``i``, the weights of ``d`` at sigmas ``i, i-1, ...`` (empty for an Euler
    step: the first one and any onto sigma 0)."""
    schedule = _VPSchedule()
    times = schedule.time(sigmas)
    weights: list[list[Tensor]] = []
    for i in range(len(sigmas) - 1):
        order = min(i + 1, max_order)
        if order == 1 or sigmas[i + 1] <= 0:
            weights.append([])
            continue
        t_from, t_to = times[i], times[i + 1]
        taus = torch.linspace(float(t_from), float(t_to), INTEGRATION_POINTS)
        d_tau = (t_to - t_from) / INTEGRATION_POINTS
        kernel = schedule.kernel(taus)
        nodes = times[[i - k for k in range(order)]]
        weights.append(
            [torch.sum(kernel * _lagrange_basis(nodes, j, taus)) * d_tau for j in range(order)]
        )
    return weights


def deis(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    weights = deis_weights(sigmas)

    def update(x: Tensor, denoised: Tensor, recent: Sequence[Tensor], i: int) -> Tensor:
        if not weights[i]:
            return x + (sigmas[i + 1] - sigmas[i]) * recent[0]
        for weight, d in zip(weights[i], recent, strict=False):
            x = x + weight * d
        return x

    return linear_multistep(run, x, sigmas, MAX_ORDER, update)


SAMPLERS: dict[str, Sampler] = {"deis": deis}
