"""The in-process diffusers backend for single-file SD1.x / SDXL checkpoints.

``SAMPLERS`` and ``SCHEDULERS`` import without torch; ``LocalEngine`` (and the rest) load torch
and diffusers on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gaze.engines.local.samplers import SAMPLERS, SCHEDULERS, check_sampler_and_scheduler

if TYPE_CHECKING:
    from gaze.engines.local.engine import LocalEngine
    from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint

__all__ = [
    "SAMPLERS",
    "SCHEDULERS",
    "LocalEngine",
    "check_sampler_and_scheduler",
    "write_tiny_checkpoint",
]


def __getattr__(name: str) -> Any:
    if name == "LocalEngine":
        from gaze.engines.local.engine import LocalEngine

        return LocalEngine
    if name == "write_tiny_checkpoint":
        from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint

        return write_tiny_checkpoint
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
