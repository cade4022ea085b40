"""The normalised generation parameters read from an image, whatever tool wrote them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from gaze.service_errors import ServiceError

Source = Literal["a1111", "comfyui", "novelai", "gaze"]


class NoGenerationMetadata(ServiceError):
    """The image is readable but carries no generation parameters GAZE knows (422)."""

    status = 422
    default_code = "no_generation_metadata"


@dataclass
class LoraUse:
    """A LoRA as the image names it (a file stem or path) with its model strength."""

    name: str
    strength: float = 1.0
    clip_strength: float | None = None
    hash: str | None = None


@dataclass
class HiresPass:
    """A second pass: the first pass's result upscaled and sampled again."""

    upscale: float | None = None
    steps: int | None = None
    denoise: float | None = None
    upscaler: str | None = None
    sampler: str | None = None
    scheduler: str | None = None


@dataclass
class GenerationInfo:
    """What one image says about how it was made. Sampler and scheduler use GAZE's (ComfyUI's)
    names when they could be mapped; `warnings` says what could not."""

    source: Source
    positive: str = ""
    negative: str = ""
    seed: int | None = None
    steps: int | None = None
    cfg: float | None = None
    sampler: str | None = None
    scheduler: str | None = None
    width: int | None = None
    height: int | None = None
    checkpoint: str | None = None
    checkpoint_hash: str | None = None
    loras: list[LoraUse] = field(default_factory=list)
    denoise: float | None = None
    """img2img's denoising strength (how much of the schedule ran), when it was below 1."""
    hires: HiresPass | None = None
    clip_skip: int | None = None
    vae: str | None = None
    other: dict[str, str] = field(default_factory=dict)
    """Settings the image names that have no place above (A1111's ``Key: value`` pairs)."""
    raw: Any = None
    """The untouched text, graph or JSON the parameters were read from."""
    warnings: list[str] = field(default_factory=list)
    gaze: dict[str, Any] | None = None
    """GAZE's own JSON chunk, when the image has one (its spec, preset and recipe)."""

    def parameters(self) -> dict[str, Any]:
        """The normalised parameters as JSON (no raw text, warnings or GAZE chunk)."""
        data = asdict(self)
        for name in ("source", "raw", "warnings", "gaze"):
            data.pop(name)
        return data
