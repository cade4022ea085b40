"""The exponential Heun method in data prediction and half log-SNR time, as ComfyUI runs
``exp_heun_2_x0`` (the ODE) and ``exp_heun_2_x0_sde`` (eta 1, ancestral noise).

Each step evaluates the model at its start and again at its end, and combines both with the
second-order exponential weights: SEEDS-2 with its in-between point moved to the step's end
(:func:`gaze.sampling.samplers.seeds.two_stage_seeds` with ``r`` 1). The SDE form draws two
noise tensors per step like SEEDS-2 does, though the second is weighted by zero.
"""

from __future__ import annotations

from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.samplers.seeds import Stochasticity, two_stage_seeds

AT_STEP_END = 1.0
ODE = Stochasticity(eta=0.0, s_noise=0.0)


def exp_heun_2_x0(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return two_stage_seeds(run, x, sigmas, ODE, AT_STEP_END, "phi_2")


def exp_heun_2_x0_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    return two_stage_seeds(run, x, sigmas, Stochasticity(), AT_STEP_END, "phi_2")


SAMPLERS: dict[str, Sampler] = {
    "exp_heun_2_x0": exp_heun_2_x0,
    "exp_heun_2_x0_sde": exp_heun_2_x0_sde,
}
