"""ComfyUI sampler and scheduler names mapped to diffusers schedulers.

ComfyUI splits "how to step" (the *sampler*) from "which noise levels to visit" (the *scheduler*);
diffusers folds both into one scheduler class plus options. The mapping:

============================  ==========================================================
ComfyUI sampler               diffusers scheduler
============================  ==========================================================
``euler``                     ``EulerDiscreteScheduler``
``euler_ancestral``           ``EulerAncestralDiscreteScheduler``
``heun``                      ``HeunDiscreteScheduler``
``dpm_2``                     ``KDPM2DiscreteScheduler``
``dpm_2_ancestral``           ``KDPM2AncestralDiscreteScheduler``
``lms``                       ``LMSDiscreteScheduler`` (needs ``scipy``)
``dpmpp_2m``                  ``DPMSolverMultistepScheduler`` (``dpmsolver++``, order 2)
``dpmpp_2m_sde``              ``DPMSolverMultistepScheduler`` (``sde-dpmsolver++``, order 2)
``dpmpp_sde``                 ``DPMSolverSDEScheduler`` (needs ``torchsde``)
``dpmpp_2s_ancestral``        ``DPMSolverSinglestepScheduler`` (``sde-dpmsolver++``, order 2):
                              diffusers has no ancestral DPM++(2S); its stochastic single-step
                              second-order solver is the closest match
``ddim``                      ``DDIMScheduler``
``uni_pc``                    ``UniPCMultistepScheduler``
``deis``                      ``DEISMultistepScheduler``
============================  ==========================================================

============================  ==========================================================
ComfyUI scheduler             diffusers option
============================  ==========================================================
``normal``                    ``timestep_spacing="linspace"`` (evenly spaced timesteps from
                              the last to the first, as ComfyUI's ``normal``)
``simple``                    ``timestep_spacing="trailing"``
``sgm_uniform``               ``timestep_spacing="trailing"`` (the same spacing as ``simple``
                              once timesteps are whole numbers)
``karras``                    ``use_karras_sigmas=True``
``exponential``               ``use_exponential_sigmas=True``
============================  ==========================================================

A combination the diffusers class cannot express (``karras`` with ``ddim``, for instance) is an
:class:`EngineError`, never silently replaced by something else.

This module imports nothing heavy at import time: the API can import :data:`SAMPLERS` and
:data:`SCHEDULERS` without torch installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gaze.engines.base import EngineError


@dataclass(frozen=True)
class _SamplerChoice:
    class_name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    needs_package: str | None = None


_SAMPLER_CHOICES: dict[str, _SamplerChoice] = {
    "euler": _SamplerChoice("EulerDiscreteScheduler"),
    "euler_ancestral": _SamplerChoice("EulerAncestralDiscreteScheduler"),
    "heun": _SamplerChoice("HeunDiscreteScheduler"),
    "dpm_2": _SamplerChoice("KDPM2DiscreteScheduler"),
    "dpm_2_ancestral": _SamplerChoice("KDPM2AncestralDiscreteScheduler"),
    "lms": _SamplerChoice("LMSDiscreteScheduler", needs_package="scipy"),
    "dpmpp_2m": _SamplerChoice(
        "DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2}
    ),
    "dpmpp_2m_sde": _SamplerChoice(
        "DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++", "solver_order": 2}
    ),
    "dpmpp_sde": _SamplerChoice("DPMSolverSDEScheduler", needs_package="torchsde"),
    "dpmpp_2s_ancestral": _SamplerChoice(
        "DPMSolverSinglestepScheduler",
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "lower_order_final": True},
    ),
    "ddim": _SamplerChoice("DDIMScheduler"),
    "uni_pc": _SamplerChoice("UniPCMultistepScheduler"),
    "deis": _SamplerChoice("DEISMultistepScheduler"),
}

_SCHEDULER_OPTIONS: dict[str, tuple[str, Any]] = {
    "normal": ("timestep_spacing", "linspace"),
    "karras": ("use_karras_sigmas", True),
    "exponential": ("use_exponential_sigmas", True),
    "sgm_uniform": ("timestep_spacing", "trailing"),
    "simple": ("timestep_spacing", "trailing"),
}

SAMPLERS: tuple[str, ...] = tuple(_SAMPLER_CHOICES)
"""ComfyUI sampler names the local engine accepts."""

SCHEDULERS: tuple[str, ...] = tuple(_SCHEDULER_OPTIONS)
"""ComfyUI scheduler names the local engine accepts."""

# Options every base config may carry that would fight the per-job choice.
_SIGMA_OPTIONS = ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas")


def _scheduler_class(class_name: str) -> Any:
    schedulers = importlib.import_module("diffusers.schedulers")
    return getattr(schedulers, class_name)


def _accepted_options(scheduler_class: Any) -> set[str]:
    return set(inspect.signature(scheduler_class.__init__).parameters)


def scheduler_options(sampler: str, scheduler: str) -> tuple[str, dict[str, Any]]:
    """The diffusers class name and constructor options for a ComfyUI sampler + scheduler.

    Raises :class:`EngineError` for an unknown name, a missing optional package, or a pair the
    diffusers class cannot express.
    """
    choice = _SAMPLER_CHOICES.get(sampler)
    if choice is None:
        raise EngineError(f"unknown sampler {sampler!r}; valid samplers: {', '.join(SAMPLERS)}")
    option = _SCHEDULER_OPTIONS.get(scheduler)
    if option is None:
        raise EngineError(
            f"unknown scheduler {scheduler!r}; valid schedulers: {', '.join(SCHEDULERS)}"
        )
    if choice.needs_package and importlib.util.find_spec(choice.needs_package) is None:
        raise EngineError(
            f"sampler {sampler!r} needs the {choice.needs_package!r} package, "
            "which is not installed on this server"
        )
    accepted = _accepted_options(_scheduler_class(choice.class_name))
    options = dict(choice.options)
    for name in _SIGMA_OPTIONS:
        if name in accepted:
            options[name] = False
    option_name, option_value = option
    if option_name in accepted:
        options[option_name] = option_value
    elif scheduler != "normal":
        raise EngineError(
            f"scheduler {scheduler!r} is not available with sampler {sampler!r} in the local engine"
        )
    return choice.class_name, options


def make_scheduler(sampler: str, scheduler: str, base_config: Mapping[str, Any], seed: int) -> Any:
    """A diffusers scheduler for the pair, keeping the model's noise schedule from ``base_config``.

    Most stochastic samplers draw their noise from the generator the pipeline passes them;
    ``DPMSolverSDEScheduler`` (``dpmpp_sde``) seeds its own Brownian tree instead, so it gets the
    job's seed here (without one it would pick a random seed and break reproducibility).
    """
    class_name, options = scheduler_options(sampler, scheduler)
    scheduler_class = _scheduler_class(class_name)
    if "noise_sampler_seed" in _accepted_options(scheduler_class):
        options["noise_sampler_seed"] = seed
    return scheduler_class.from_config(dict(base_config), **options)


def check_sampler_and_scheduler(sampler: str, scheduler: str) -> None:
    """Raise :class:`EngineError` unless the local engine can run this sampler + scheduler pair."""
    scheduler_options(sampler, scheduler)
