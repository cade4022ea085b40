"""Every sampler this core runs, by its ComfyUI name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gaze.sampling.core import Sampler
from gaze.sampling.names import COMFYUI_SAMPLER_ORDER
from gaze.sampling.samplers import (
    ddpm_lcm,
    deis,
    dpm2,
    dpm_solver,
    dpmpp,
    er_sde,
    euler,
    exp_heun,
    gradient_estimation,
    heun,
    ipndm,
    lms,
    res_multistep,
    sa_solver,
    seeds,
    uni_pc,
)

_FAMILIES = (
    euler,
    heun,
    dpm2,
    lms,
    dpm_solver,
    dpmpp,
    ddpm_lcm,
    ipndm,
    deis,
    res_multistep,
    gradient_estimation,
    er_sde,
    seeds,
    sa_solver,
    exp_heun,
    uni_pc,
)


def _collect() -> dict[str, Sampler]:
    found: dict[str, Sampler] = {}
    for family in _FAMILIES:
        found.update(family.SAMPLERS)
    # ComfyUI's "ddim" is Euler on the schedule the scheduler picks (ddim_uniform for DDIM's).
    found["ddim"] = euler.euler
    return {name: found[name] for name in COMFYUI_SAMPLER_ORDER if name in found}


SAMPLERS: Mapping[str, Sampler] = MappingProxyType(_collect())
"""The samplers this core runs, by ComfyUI name."""

SAMPLER_NAMES: tuple[str, ...] = tuple(SAMPLERS)
