"""Which checkpoints, LoRAs and VAEs the configured backends have, and what a spec lacks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from gaze.engines.base import Engine, EngineError
from gaze.generation_spec import GenerationSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelLists:
    checkpoints: frozenset[str]
    loras: frozenset[str]
    vaes: frozenset[str]

    def lacks(self, spec: GenerationSpec) -> list[str]:
        """What the spec names that is not in these lists, e.g. ``["LoRA 'x.safetensors'"]``."""
        missing = []
        if spec.checkpoint not in self.checkpoints:
            missing.append(f"checkpoint {spec.checkpoint!r}")
        missing += [f"LoRA {lora.name!r}" for lora in spec.loras if lora.name not in self.loras]
        if spec.vae and spec.vae not in self.vaes:
            missing.append(f"VAE {spec.vae!r}")
        return missing


def model_lists(engine: Engine) -> ModelLists | None:
    """The engine's model lists, or None when it cannot be asked (it is down)."""
    try:
        return ModelLists(
            frozenset(engine.checkpoints()), frozenset(engine.loras()), frozenset(engine.vaes())
        )
    except EngineError as error:
        log.warning("could not list the models of %s: %s", engine.name, error)
        return None


def preflight_problem(spec: GenerationSpec, lists: Sequence[ModelLists]) -> str | None:
    """Why no backend can run this spec, or None when at least one has all its models."""
    if not lists:
        return "no backend is reachable to check the models against"
    if any(not backend.lacks(spec) for backend in lists):
        return None
    union = ModelLists(
        frozenset().union(*(backend.checkpoints for backend in lists)),
        frozenset().union(*(backend.loras for backend in lists)),
        frozenset().union(*(backend.vaes for backend in lists)),
    )
    missing = union.lacks(spec)
    if missing:
        return f"not available on any backend: {', '.join(missing)}"
    return "no single backend has all of this generation's models"
