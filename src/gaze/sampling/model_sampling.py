"""ComfyUI's discrete model sampling: the 1000 training noise levels of SD1.x / SDXL.

The noise levels come from the model's beta schedule (``scaled_linear`` from 0.00085 to 0.012,
which ComfyUI calls "linear"): ``sigma_t = sqrt((1 - alphas_cumprod) / alphas_cumprod)``, worked
out in float64 and kept in float32, with their logs. A sigma becomes the UNet's timestep as the
index of the nearest training sigma in log space; a fractional timestep becomes a sigma by
interpolating the log sigmas linearly. The prediction type decides how the UNet's output turns
into ``denoised``: ``eps`` (the noise) or ``v_prediction`` (v = alpha * noise - sigma * x0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

Prediction = Literal["eps", "v_prediction"]
PREDICTIONS: tuple[Prediction, ...] = ("eps", "v_prediction")

SIGMA_DATA = 1.0
SD_TIMESTEPS = 1000
SD_LINEAR_START = 0.00085
SD_LINEAR_END = 0.012


def scaled_linear_betas(timesteps: int, linear_start: float, linear_end: float) -> Tensor:
    """Betas spaced linearly in their square root (float64), as SD was trained."""
    return torch.linspace(linear_start**0.5, linear_end**0.5, timesteps, dtype=torch.float64) ** 2


ZERO_TERMINAL_ALPHA_CUMPROD = 4.8973451890853435e-08
"""The last alpha_cumprod of a zero-terminal-SNR schedule: not 0, so the last sigma is finite
(about 4517), as ComfyUI keeps it."""


def zero_terminal_snr_alphas_cumprod(alphas_cumprod: Tensor) -> Tensor:
    """Shift and scale ``sqrt(alphas_cumprod)`` so the first value stays and the last is 0."""
    root = alphas_cumprod.sqrt()
    first, last = root[0].clone(), root[-1].clone()
    root = (root - last) * (first / (first - last))
    rescaled = root**2
    rescaled[-1] = ZERO_TERMINAL_ALPHA_CUMPROD
    return rescaled


@dataclass(frozen=True)
class DiscreteModelSampling:
    """The noise levels of a discrete-time diffusion model and how its output becomes x0."""

    prediction: Prediction = "eps"
    timesteps: int = SD_TIMESTEPS
    linear_start: float = SD_LINEAR_START
    linear_end: float = SD_LINEAR_END
    zero_terminal_snr: bool = False
    """Rescale the schedule so its last step is (almost) pure noise (Lin et al. 2024)."""
    sigmas: Tensor = field(init=False, repr=False, compare=False)
    log_sigmas: Tensor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.prediction not in PREDICTIONS:
            raise ValueError(f"unknown prediction type {self.prediction!r}")
        betas = scaled_linear_betas(self.timesteps, self.linear_start, self.linear_end)
        alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        if self.zero_terminal_snr:
            alphas_cumprod = zero_terminal_snr_alphas_cumprod(alphas_cumprod)
        sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        object.__setattr__(self, "sigmas", sigmas.float())
        object.__setattr__(self, "log_sigmas", sigmas.log().float())

    @property
    def sigma_min(self) -> Tensor:
        return self.sigmas[0]

    @property
    def sigma_max(self) -> Tensor:
        return self.sigmas[-1]

    def timestep(self, sigma: Tensor) -> Tensor:
        """The UNet timestep for each sigma: the index of the nearest training sigma (in logs)."""
        distances = sigma.log().to(self.log_sigmas.device) - self.log_sigmas[:, None]
        return distances.abs().argmin(dim=0).view(sigma.shape).to(sigma.device)

    def sigma(self, timestep: Tensor) -> Tensor:
        """The sigma of a (fractional) timestep, interpolating the log sigmas linearly."""
        t = torch.clamp(timestep.float().to(self.log_sigmas.device), 0, len(self.sigmas) - 1)
        low = t.floor().long()
        high = t.ceil().long()
        weight = t.frac()
        log_sigma = (1 - weight) * self.log_sigmas[low] + weight * self.log_sigmas[high]
        return log_sigma.exp().to(timestep.device)

    def percent_to_sigma(self, percent: float) -> float:
        """The sigma a fraction of the way through sampling (0 = the start, 1 = the end)."""
        if percent <= 0.0:
            return 999999999.9
        if percent >= 1.0:
            return 0.0
        return float(self.sigma(torch.tensor((1.0 - percent) * 999.0)).item())

    def is_max_denoise(self, first_sigma: float) -> bool:
        """Whether sampling starts from pure noise (at or above ``sigma_max``)."""
        sigma_max = float(self.sigma_max)
        return math.isclose(sigma_max, first_sigma, rel_tol=1e-05) or first_sigma > sigma_max

    def noise_scaling(
        self, sigma: Tensor | float, noise: Tensor, latent: Tensor, max_denoise: bool = False
    ) -> Tensor:
        """The noised latent sampling starts from (or that ``lcm`` re-noises to)."""
        if max_denoise:
            return noise * math.sqrt(1.0 + float(sigma) ** 2) + latent
        return noise * sigma + latent

    def calculate_input(self, sigma: Tensor, x: Tensor) -> Tensor:
        """The UNet's input at ``sigma``: ``x`` scaled to unit variance."""
        return x / _per_item(sigma, x).pow(2).add(SIGMA_DATA**2).sqrt()

    def calculate_denoised(self, sigma: Tensor, model_output: Tensor, x: Tensor) -> Tensor:
        """``denoised`` (the predicted x0) from the UNet's output at ``sigma``."""
        s = _per_item(sigma, x)
        if self.prediction == "eps":
            return x - model_output * s
        variance = s.pow(2) + SIGMA_DATA**2
        return x * SIGMA_DATA**2 / variance - model_output * s * SIGMA_DATA / variance.sqrt()

    def half_log_snr(self, sigma: Tensor) -> Tensor:
        """``lambda = log(alpha / sigma)``; for these models alpha is 1, so ``-log(sigma)``."""
        return sigma.log().neg()

    def sigma_from_half_log_snr(self, half_log_snr: Tensor) -> Tensor:
        return half_log_snr.neg().exp()


def _per_item(sigma: Tensor, x: Tensor) -> Tensor:
    """``sigma`` of shape ``(b,)`` reshaped to broadcast over ``x`` (b, c, h, w)."""
    return sigma.reshape(sigma.shape[:1] + (1,) * (x.ndim - 1)) if sigma.ndim else sigma
