"""The fully resolved description of one image: what every engine receives."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_SEED = 2**64 - 1


@dataclass(frozen=True)
class LoraSpec:
    """A LoRA file (relative to the models' `loras/` folder) with its model and clip weights."""

    name: str
    model_weight: float = 1.0
    clip_weight: float = 1.0


@dataclass(frozen=True)
class GenerationSpec:
    """Plain data: one generation, independent of presets, HTTP and storage.

    `checkpoint` and `vae` are paths relative to the models folder's `checkpoints/` and `vae/`
    (posix separators, e.g. ``Illustrious/model.safetensors``). Sampler and scheduler use
    ComfyUI's names (``euler``, ``dpmpp_2m``, ``karras``...).
    """

    positive: str
    negative: str
    checkpoint: str
    width: int = 512
    height: int = 512
    steps: int = 20
    cfg: float = 7.0
    sampler: str = "euler"
    scheduler: str = "normal"
    seed: int = 0
    loras: tuple[LoraSpec, ...] = field(default_factory=tuple)
    vae: str | None = None
    clip_skip: int | None = None
    workflow_template: dict[str, Any] | None = field(default=None, hash=False)
    """A custom ComfyUI workflow (API format with placeholders, see
    gaze.engines.comfyui.templates); None = the built-in graph."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["loras"] = [asdict(lora) for lora in self.loras]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationSpec:
        values = dict(data)
        values["loras"] = tuple(LoraSpec(**lora) for lora in values.get("loras", ()))
        return cls(**values)
