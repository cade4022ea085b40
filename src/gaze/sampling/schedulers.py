"""ComfyUI's schedulers: the sigmas a sampler steps through, and KSampler's rule for picking them.

Each scheduler turns a model's noise levels and a step count into descending float32 sigmas that
end in 0, computed in ComfyUI v0.8.0's order of operations so that the values are ComfyUI's. Most
give ``steps + 1`` sigmas; ``beta`` drops a repeated timestep and ``ddim_uniform`` takes every
``len(sigmas) // steps``-th noise level, so those two can give fewer or more, as ComfyUI's do.
Where a model's lowest noise level is within 1e-5 of 0, ``normal`` and ``ddim_uniform`` end
there instead of appending a 0 (ComfyUI's rule; SD1/SDXL levels start near 0.03).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.names import COMFYUI_SAMPLER_ORDER, SCHEDULER_NAMES

Scheduler = Callable[[DiscreteModelSampling, int], Tensor]

KARRAS_RHO = 7.0
BETA_SCHEDULE_ALPHA = 0.6
BETA_SCHEDULE_BETA = 0.6
LINEAR_QUADRATIC_THRESHOLD = 0.025
"""``linear_quadratic`` lowers the noise by this fraction over its first half, linearly."""
ZERO_SIGMA_TOLERANCE = 1e-5
"""A schedule whose lowest noise level is this close to 0 already ends there (flow-like models)."""

DISCARD_PENULTIMATE_SIGMA_SAMPLERS = frozenset({"dpm_2", "dpm_2_ancestral", "uni_pc", "uni_pc_bh2"})
"""Samplers KSampler gives one step more and then the schedule without its penultimate sigma."""
FULL_DENOISE_ABOVE = 0.9999
"""KSampler treats a denoise above this as 1."""


class UnknownScheduler(ValueError):
    """A scheduler name ComfyUI does not have."""


def _with_final_zero(sigmas: Tensor | list[float]) -> Tensor:
    head = torch.as_tensor(sigmas, dtype=torch.float32)
    return torch.cat([head, head.new_zeros([1])])


def _timestep_bounds(model_sampling: DiscreteModelSampling) -> tuple[float, float]:
    """The training timesteps nearest ``sigma_max`` and ``sigma_min`` (999 and 0 for SD)."""
    top = model_sampling.timestep(model_sampling.sigma_max)
    bottom = model_sampling.timestep(model_sampling.sigma_min)
    return float(top), float(bottom)


def normal(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """``steps`` timesteps spaced evenly from the top to the bottom one, then 0."""
    top, bottom = _timestep_bounds(model_sampling)
    if math.isclose(
        float(model_sampling.sigma(torch.tensor(bottom))), 0.0, abs_tol=ZERO_SIGMA_TOLERANCE
    ):
        return model_sampling.sigma(torch.linspace(top, bottom, steps + 1))
    return _with_final_zero(model_sampling.sigma(torch.linspace(top, bottom, steps)))


def sgm_uniform(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """``steps + 1`` timesteps spaced evenly from the top to the bottom one, the last replaced
    by 0."""
    top, bottom = _timestep_bounds(model_sampling)
    return _with_final_zero(model_sampling.sigma(torch.linspace(top, bottom, steps + 1)[:-1]))


def karras(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """Karras et al. (2022): evenly spaced in ``sigma ** (1 / rho)`` from ``sigma_max`` to
    ``sigma_min``."""
    low_root = float(model_sampling.sigma_min) ** (1 / KARRAS_RHO)
    high_root = float(model_sampling.sigma_max) ** (1 / KARRAS_RHO)
    ramp = torch.linspace(0, 1, steps)
    return _with_final_zero((high_root + ramp * (low_root - high_root)) ** KARRAS_RHO)


def exponential(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """Evenly spaced in ``log(sigma)`` from ``sigma_max`` to ``sigma_min``."""
    log_high = math.log(float(model_sampling.sigma_max))
    log_low = math.log(float(model_sampling.sigma_min))
    return _with_final_zero(torch.linspace(log_high, log_low, steps).exp())


def simple(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """Every ``len(sigmas) / steps``-th noise level, counted down from the top."""
    levels = model_sampling.sigmas
    stride = len(levels) / steps
    return _with_final_zero([float(levels[-(1 + int(step * stride))]) for step in range(steps)])


def ddim_uniform(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """Every ``len(sigmas) // steps``-th noise level counted up from the second, descending,
    then 0: ``len(sigmas) % steps`` can leave room for more than ``steps`` of them."""
    levels = model_sampling.sigmas
    ends_at_zero = math.isclose(float(levels[1]), 0.0, abs_tol=ZERO_SIGMA_TOLERANCE)
    if ends_at_zero:
        steps += 1
    stride = max(len(levels) // steps, 1)
    picked = [float(levels[index]) for index in range(1, len(levels), stride)][::-1]
    if ends_at_zero:
        return torch.tensor(picked, dtype=torch.float32)
    return _with_final_zero(picked)


def beta(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """Timesteps at the quantiles of a Beta(0.6, 0.6) distribution (Lee et al. 2024), rounded;
    a timestep equal to the one before is dropped, so there can be fewer than ``steps``."""
    from scipy import stats  # scipy.stats takes a while to import; only this scheduler needs it

    last_timestep = len(model_sampling.sigmas) - 1
    quantiles = 1 - np.linspace(0, 1, steps, endpoint=False)
    timesteps = np.rint(
        stats.beta.ppf(quantiles, BETA_SCHEDULE_ALPHA, BETA_SCHEDULE_BETA) * last_timestep
    )
    picked: list[float] = []
    previous = None
    for timestep in timesteps:
        if timestep != previous:
            picked.append(float(model_sampling.sigmas[int(timestep)]))
        previous = timestep
    return _with_final_zero(picked)


def linear_quadratic(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """Mochi's schedule: the noise falls linearly by 2.5 % over the first half of the steps,
    then along a quadratic to 0; fractions of ``sigma_max``."""
    if steps == 1:
        fractions = [1.0, 0.0]
    else:
        threshold = LINEAR_QUADRATIC_THRESHOLD
        linear_steps = steps // 2
        quadratic_steps = steps - linear_steps
        step_excess = linear_steps - threshold * steps
        quadratic_coef = step_excess / (linear_steps * quadratic_steps**2)
        linear_coef = threshold / linear_steps - 2 * step_excess / (quadratic_steps**2)
        const = quadratic_coef * (linear_steps**2)
        linear_drops = [i * threshold / linear_steps for i in range(linear_steps)]
        quadratic_drops = [
            quadratic_coef * (i**2) + linear_coef * i + const for i in range(linear_steps, steps)
        ]
        fractions = [1.0 - drop for drop in [*linear_drops, *quadratic_drops, 1.0]]
    return torch.tensor(fractions, dtype=torch.float32) * model_sampling.sigma_max.cpu()


def kl_optimal(model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """Evenly spaced in ``atan(sigma)`` from ``sigma_max`` to ``sigma_min`` (AYS, A1111 #15608).

    One step gives ``[sigma_max, 0]``; ComfyUI divides by ``steps - 1`` there and gives NaN.
    """
    if steps == 1:
        positions = torch.zeros(1)
    else:
        positions = torch.arange(steps, dtype=torch.float32) / (steps - 1)
    angles = positions * math.atan(float(model_sampling.sigma_min)) + (1 - positions) * math.atan(
        float(model_sampling.sigma_max)
    )
    return _with_final_zero(angles.tan())


SCHEDULERS: dict[str, Scheduler] = {
    "simple": simple,
    "sgm_uniform": sgm_uniform,
    "karras": karras,
    "exponential": exponential,
    "ddim_uniform": ddim_uniform,
    "beta": beta,
    "normal": normal,
    "linear_quadratic": linear_quadratic,
    "kl_optimal": kl_optimal,
}


def _check_steps(steps: int) -> None:
    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")


def _scheduler_named(name: str) -> Scheduler:
    scheduler = SCHEDULERS.get(name)
    if scheduler is None:
        raise UnknownScheduler(
            f"unknown scheduler {name!r}; the schedulers are {', '.join(SCHEDULER_NAMES)}"
        )
    return scheduler


def scheduler_sigmas(name: str, model_sampling: DiscreteModelSampling, steps: int) -> Tensor:
    """The named scheduler's sigmas for ``steps`` steps (ComfyUI's ``calculate_sigmas``)."""
    scheduler = _scheduler_named(name)
    _check_steps(steps)
    return scheduler(model_sampling, steps)


def _sampler_schedule(
    model_sampling: DiscreteModelSampling, scheduler: str, steps: int, sampler: str
) -> Tensor:
    if sampler not in DISCARD_PENULTIMATE_SIGMA_SAMPLERS:
        return scheduler_sigmas(scheduler, model_sampling, steps)
    sigmas = scheduler_sigmas(scheduler, model_sampling, steps + 1)
    return torch.cat([sigmas[:-2], sigmas[-1:]])


def ksampler_sigmas(
    model_sampling: DiscreteModelSampling, scheduler: str, steps: int, denoise: float, sampler: str
) -> Tensor:
    """The sigmas ComfyUI's KSampler runs ``sampler`` over.

    A partial ``denoise`` (img2img) takes the last ``steps + 1`` sigmas of the schedule for
    ``int(steps / denoise)`` steps; a denoise of 0 gives no sigmas, and ComfyUI then returns the
    latent unchanged without calling the model.
    """
    if sampler not in COMFYUI_SAMPLER_ORDER:
        raise ValueError(f"unknown sampler {sampler!r}")
    _scheduler_named(scheduler)
    _check_steps(steps)
    if not 0.0 <= denoise <= 1.0:
        raise ValueError(f"denoise must be between 0 and 1, not {denoise}")
    if denoise > FULL_DENOISE_ABOVE:
        return _sampler_schedule(model_sampling, scheduler, steps, sampler)
    if denoise == 0.0:
        return torch.zeros(0)
    longer = _sampler_schedule(model_sampling, scheduler, int(steps / denoise), sampler)
    return longer[-(steps + 1) :]
