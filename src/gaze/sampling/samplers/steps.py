"""Arithmetic the k-diffusion samplers share."""

from __future__ import annotations

from torch import Tensor


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
