"""Arithmetic the k-diffusion samplers share, and the loop of the linear multistep ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor

from gaze.sampling.core import SamplingRun

MultistepUpdate = Callable[[Tensor, Tensor, Sequence[Tensor], int], Tensor]
"""``(x, denoised, derivatives newest first, i) -> x at sigmas[i + 1]``."""


def to_d(x: Tensor, sigma: Tensor, denoised: Tensor) -> Tensor:
    """The ODE derivative ``dx/dsigma`` at ``x`` (Karras et al. 2022, eq. 3)."""
    return (x - denoised) / sigma


def ancestral_step(sigma_from: Tensor, sigma_to: Tensor, eta: float = 1.0) -> tuple[Tensor, Tensor]:
    """``(sigma_down, sigma_up)``: step deterministically down to ``sigma_down``, then add
    ``sigma_up`` of fresh noise, so the result has noise level ``sigma_to``."""
    if not eta:
        return sigma_to, sigma_to * 0
    sigma_up = min(
        sigma_to,
        eta * (sigma_to**2 * (sigma_from**2 - sigma_to**2) / sigma_from**2) ** 0.5,
    )
    sigma_down = (sigma_to**2 - sigma_up**2) ** 0.5
    return sigma_down, sigma_up


def linear_multistep(
    run: SamplingRun, x: Tensor, sigmas: Tensor, max_order: int, update: MultistepUpdate
) -> Tensor:
    """The loop ``ipndm`` and ``deis`` share: after each model call the step's ODE derivative
    joins the ``max_order - 1`` before it, and ``update`` turns them into the next x."""
    recent: list[Tensor] = []
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        recent.insert(0, to_d(x, sigmas[i], denoised))
        del recent[max_order:]
        x = update(x, denoised, recent, i)
    return x
