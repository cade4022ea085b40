"""The fully resolved description of one image: what every engine receives."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PromptWeighting = Literal["comfyui", "a1111"]
PROMPT_WEIGHTINGS: tuple[PromptWeighting, ...] = ("comfyui", "a1111")
"""How ``(word:1.2)`` emphasis weighs a token's embedding: ComfyUI's rule (move it away from the
empty prompt's embedding) or A1111's (scale it, then restore the chunk's mean)."""
DEFAULT_PROMPT_WEIGHTING: PromptWeighting = "comfyui"

MAX_SEED = 2**64 - 1
RANDOM_SEED_BITS = 53
"""Random seeds stay below 2**53 so that JavaScript clients read them back exactly."""


def random_seed() -> int:
    """The seed GAZE picks when a request gives none."""
    return secrets.randbits(RANDOM_SEED_BITS)


def seed_problem(seed: object, count: int = 1) -> str | None:
    """Why `seed` (the first of `count` consecutive seeds) is not usable, or None; the
    answer follows the word "seed" (``seed must be an integer from 0 to ...``)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        return f"must be an integer from 0 to {MAX_SEED}, got {seed!r}"
    if seed + count - 1 > MAX_SEED:
        return f"{seed} with count {count} runs past the largest seed {MAX_SEED}"
    return None


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
    prompt_weighting: PromptWeighting = DEFAULT_PROMPT_WEIGHTING
    workflow_template: dict[str, Any] | None = field(default=None, hash=False)
    """A custom ComfyUI workflow (API format with placeholders, see
    gaze.workflow_templates); None = the built-in graph."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["loras"] = [asdict(lora) for lora in self.loras]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationSpec:
        values = dict(data)
        values["loras"] = tuple(LoraSpec(**lora) for lora in values.get("loras", ()))
        return cls(**values)
