"""Apply a job's LoRAs to a loaded pipeline with diffusers' own LoRA loader (needs ``peft``).

diffusers reads kohya / A1111 / ComfyUI LoRA files and converts them itself. Each file becomes one
named adapter on the pipeline, loaded once and kept while the checkpoint stays loaded; every job
then activates exactly its own adapters with its weights (``model_weight`` for the UNet,
``clip_weight`` for the text encoders), and a job without LoRAs runs with all of them disabled.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaze.engines.base import EngineError
from gaze.generation_spec import LoraSpec


@dataclass(frozen=True)
class ResolvedLora:
    """A LoRA of a spec with its file on disk."""

    spec: LoraSpec
    path: Path


@dataclass
class LoraState:
    """The adapters loaded into one pipeline: file identity -> adapter name."""

    adapters: dict[tuple[str, int, int], str] = field(default_factory=dict)
    active: bool = False


def peft_available() -> bool:
    return importlib.util.find_spec("peft") is not None


def _file_identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _adapter_name(identity: tuple[str, int, int]) -> str:
    digest = hashlib.sha256(repr(identity).encode("utf-8")).hexdigest()[:16]
    return f"lora_{digest}"


def _text_encoder_names(pipeline: Any) -> list[str]:
    return [name for name in ("text_encoder", "text_encoder_2") if getattr(pipeline, name, None)]


def apply_loras(pipeline: Any, state: LoraState, loras: list[ResolvedLora]) -> None:
    """Make exactly ``loras`` active on ``pipeline`` (loading new files as adapters)."""
    if not loras:
        if state.active:
            pipeline.disable_lora()
            state.active = False
        return
    if not peft_available():
        raise EngineError("LoRAs need the 'peft' package, which is not installed on this server")
    names: list[str] = []
    weights: list[dict[str, float]] = []
    for lora in loras:
        identity = _file_identity(lora.path)
        name = state.adapters.get(identity)
        if name is None:
            name = _adapter_name(identity)
            state.active = True  # a new adapter starts out active, even a half-loaded one
            try:
                pipeline.load_lora_weights(
                    str(lora.path.parent), weight_name=lora.path.name, adapter_name=name
                )
            except Exception as error:  # any failure inside diffusers / peft
                _forget_adapter(pipeline, name)
                raise EngineError(f"could not load LoRA {lora.spec.name}: {error}") from error
            if name not in _present_adapters(pipeline):
                raise EngineError(f"LoRA {lora.spec.name} has no layers this checkpoint can take")
            state.adapters[identity] = name
        names.append(name)
        component_weights = {"unet": lora.spec.model_weight}
        for encoder in _text_encoder_names(pipeline):
            component_weights[encoder] = lora.spec.clip_weight
        weights.append(component_weights)
    if len(set(names)) != len(names):
        raise EngineError("the same LoRA file is listed twice")
    state.active = True
    try:
        pipeline.enable_lora()
        pipeline.set_adapters(names, adapter_weights=weights)
    except Exception as error:  # any failure inside diffusers / peft
        raise EngineError(f"could not apply LoRAs: {error}") from error


def _present_adapters(pipeline: Any) -> set[str]:
    return {name for names in pipeline.get_list_adapters().values() for name in names}


def _forget_adapter(pipeline: Any, name: str) -> None:
    """Remove whatever part of a failed adapter got injected (best effort)."""
    try:
        if name in _present_adapters(pipeline):
            pipeline.delete_adapters(name)
    except Exception:  # the original loading error is the one worth reporting
        return
