"""Linear multistep (``lms``): Adams-Bashforth on the ODE derivative for unequal sigma steps.

Each step integrates, over the step, the polynomial through the newest derivative and up to
three earlier ones (order 4, ComfyUI's default); the first steps use what they have, and a step
onto sigma 0 ends on the model's ``denoised``. The weights are the integrals of the Lagrange
basis polynomials over the step, which ComfyUI takes with scipy's adaptive quadrature on the
float32 sigmas, so under NumPy 2 the integrand is evaluated in float32. That rounding matters:
after a run of small steps (``linear_quadratic``) the weights extrapolate far and the result
moves by up to 5e-5, so the weights here are integrated the same way, not exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import integrate
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.steps import to_d

ORDER = 4
QUADRATURE_RELATIVE_TOLERANCE = 1e-4


def multistep_weight(nodes: Sequence[np.float32], j: int, start: float, end: float) -> float:
    """The integral from ``start`` to ``end`` of the Lagrange basis polynomial of ``nodes[j]``
    (nodes newest first), evaluated in float32: the weight of the derivative taken there."""

    def basis(tau: float) -> float:
        at = np.float32(tau)
        value = np.float32(1.0)
        for k, other in enumerate(nodes):
            if k != j:
                value = value * ((at - other) / (nodes[j] - other))
        return float(value)

    weight, _error = integrate.quad(basis, start, end, epsrel=QUADRATURE_RELATIVE_TOLERANCE)
    return float(weight)


def lms(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    steps = sigmas.detach().cpu().float().numpy()
    recent: list[Tensor] = []
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        recent.insert(0, to_d(x, sigmas[i], denoised))
        del recent[ORDER:]
        run.report(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
            continue
        nodes = [steps[i - k] for k in range(len(recent))]
        start, end = float(steps[i]), float(steps[i + 1])
        weights = [multistep_weight(nodes, j, start, end) for j in range(len(nodes))]
        x = x + sum(weight * d for weight, d in zip(weights, recent, strict=True))
    return x


SAMPLERS: dict[str, Sampler] = {"lms": lms}
