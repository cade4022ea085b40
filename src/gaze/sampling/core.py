"""The types every sampler shares: the model it calls, what it is told each step, one run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from torch import Tensor

from gaze.sampling.model_sampling import DiscreteModelSampling


class Denoiser(Protocol):
    """``denoised = model(x, sigma)``; ``sigma`` has one value per batch item (shape ``(b,)``)."""

    def __call__(self, x: Tensor, sigma: Tensor) -> Tensor: ...


@dataclass(frozen=True)
class Step:
    """What a sampler reports after each of its steps (k-diffusion's callback dictionary)."""

    index: int
    """0-based step; the last is ``len(sigmas) - 2``."""
    x: Tensor
    sigma: Tensor
    denoised: Tensor


StepCallback = Callable[[Step], None]
"""Called after every step; raising from it stops the sampling loop (cancel)."""


@dataclass(frozen=True)
class SamplingRun:
    """One sampling run: the model, its noise schedule, the job's seed and the step callback."""

    model: Denoiser
    model_sampling: DiscreteModelSampling
    seed: int
    on_step: StepCallback | None = None

    def denoise(self, x: Tensor, sigma: Tensor | float) -> Tensor:
        """The model's ``denoised`` at one noise level, given as a scalar for the whole batch."""
        return self.model(x, x.new_ones([x.shape[0]]) * sigma)

    def report(self, index: int, x: Tensor, sigma: Tensor, denoised: Tensor) -> None:
        if self.on_step is not None:
            self.on_step(Step(index=index, x=x, sigma=sigma, denoised=denoised))


class Sampler(Protocol):
    """From the noised start latent ``x`` at ``sigmas[0]`` to the latent at ``sigmas[-1]``."""

    def __call__(self, run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor: ...
