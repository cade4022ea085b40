"""One step of a data-prediction exponential integrator in the half log-SNR ``lambda``, as the
DPM-Solver++ SDE and SEEDS samplers take it (k-diffusion's order of operations), and the loop
over the steps those samplers share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from gaze.sampling.core import SamplingRun
from gaze.sampling.model_sampling import DiscreteModelSampling


def h_phi_1(h: Tensor) -> Tensor:
    """``h * phi_1(h)`` of the exponential integrators: ``exp(h) - 1``."""
    return torch.expm1(h)


def h_phi_2(h: Tensor) -> Tensor:
    """``h * phi_2(h)`` of the exponential integrators: ``(exp(h) - 1 - h) / h``."""
    return (torch.expm1(h) - h) / h


@dataclass(frozen=True)
class ExponentialStep:
    """A step from ``sigma`` to ``sigma_next``: their lambdas, the step ``h`` in lambda, its
    ``h * (eta + 1)`` and the signal scale ``alpha_t`` at the end."""

    sigma: Tensor
    sigma_next: Tensor
    lambda_s: Tensor
    lambda_t: Tensor
    h: Tensor
    h_eta: Tensor
    alpha_t: Tensor
    eta: float

    @classmethod
    def between(
        cls, sampling: DiscreteModelSampling, sigma: Tensor, sigma_next: Tensor, eta: float
    ) -> ExponentialStep:
        lambda_s = sampling.half_log_snr(sigma)
        lambda_t = sampling.half_log_snr(sigma_next)
        h = lambda_t - lambda_s
        return cls(
            sigma=sigma,
            sigma_next=sigma_next,
            lambda_s=lambda_s,
            lambda_t=lambda_t,
            h=h,
            h_eta=h * (eta + 1),
            alpha_t=sigma_next * lambda_t.exp(),
            eta=eta,
        )

    def point(self, sampling: DiscreteModelSampling, r: float) -> tuple[Tensor, Tensor]:
        """``(sigma, alpha)`` a fraction ``r`` of the way in lambda."""
        lambda_r = torch.lerp(self.lambda_s, self.lambda_t, r)
        sigma_r = sampling.sigma_from_half_log_snr(lambda_r)
        return sigma_r, sigma_r * lambda_r.exp()

    def decayed(self, x: Tensor, r: float, sigma_r: Tensor) -> Tensor:
        """``x`` carried a fraction ``r`` of the way, to ``sigma_r``, before any ``denoised``."""
        return sigma_r / self.sigma * (-r * self.h * self.eta).exp() * x

    def first_order(
        self, x: Tensor, denoised: Tensor, r: float, sigma_r: Tensor, alpha_r: Tensor
    ) -> Tensor:
        """The first-order step a fraction ``r`` of the way, without its noise."""
        return self.decayed(x, r, sigma_r) - alpha_r * h_phi_1(-r * self.h_eta) * denoised

    def to_end(self, x: Tensor, denoised: Tensor) -> Tensor:
        """The first-order step all the way, without its noise."""
        return self.first_order(x, denoised, 1.0, self.sigma_next, self.alpha_t)

    def second_order_to_end(
        self, x: Tensor, denoised: Tensor, denoised_r: Tensor, r: float
    ) -> Tensor:
        """The step all the way with the second-order exponential weights, from ``denoised``
        and ``denoised_r`` taken a fraction ``r`` of the way, without its noise."""
        weight_r = h_phi_2(-self.h_eta) / r
        weight = h_phi_1(-self.h_eta) - weight_r
        return self.decayed(x, 1.0, self.sigma_next) - self.alpha_t * (
            weight * denoised + weight_r * denoised_r
        )


ExponentialUpdate = Callable[[Tensor, Tensor, ExponentialStep], Tensor]
"""``(x, denoised, step) -> x at the step's end``."""


def exponential_steps(
    run: SamplingRun, x: Tensor, sigmas: Tensor, eta: float, update: ExponentialUpdate
) -> Tensor:
    """The loop of the exponential samplers: ``denoised`` at each sigma, reported; a step onto
    sigma 0 ends on it, any other is ``update``'s."""
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            step = ExponentialStep.between(run.model_sampling, sigmas[i], sigmas[i + 1], eta)
            x = update(x, denoised, step)
    return x
