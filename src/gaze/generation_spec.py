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


LATENT_UPSCALERS = ("latent", "latent-bilinear", "latent-bicubic", "latent-area", "latent-bislerp")
"""Second-pass upscalers that scale the latent (``latent`` = nearest-exact)."""
PIXEL_UPSCALERS = (
    "pixel-lanczos",
    "pixel-bicubic",
    "pixel-bilinear",
    "pixel-area",
    "pixel-nearest-exact",
)
"""Second-pass upscalers that decode, scale the pixels and encode again."""
RESIZE_MODES = ("crop", "stretch", "pad")
"""How an init image meets a job's size of another aspect (crop to fill, stretch, pad)."""
DEFAULT_IMG2IMG_DENOISE = 0.75
DEFAULT_MASK_BLUR = 4
DEFAULT_MASK_GROW = 6


def is_upscale_model(upscaler: str) -> bool:
    """Whether a second pass's ``upscaler`` names a model file (under ``upscale_models/``)."""
    return upscaler not in LATENT_UPSCALERS and upscaler not in PIXEL_UPSCALERS


@dataclass(frozen=True)
class HiresSpec:
    """A second pass: upscale the first pass's result by ``scale`` and sample it again."""

    scale: float = 1.5
    denoise: float = 0.5
    steps: int | None = None
    """None: the first pass's steps."""
    upscaler: str = "latent"
    """One of LATENT_UPSCALERS or PIXEL_UPSCALERS, or an upscale model file (relative path)."""
    sampler: str | None = None
    """None: the first pass's sampler (and likewise the scheduler)."""
    scheduler: str | None = None


@dataclass(frozen=True)
class SourceImage:
    """An image a job starts from: a path under the media folder and its content's SHA-256."""

    path: str
    """``inputs/<id>.png`` (an upload) or a gallery image (``presets/<slug>/gen_....png``)."""
    sha256: str


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
    init_image: SourceImage | None = None
    """img2img: start from this image (at ``width`` x ``height``) instead of empty noise."""
    denoise: float = 1.0
    """How much of the schedule runs: 1 = all (txt2img); img2img's strength."""
    resize: str | None = None
    """One of RESIZE_MODES when the init image's aspect differs from the job's; None: stretch
    (the size was taken from the init image, so only rounding to 8 px differs)."""
    mask: SourceImage | None = None
    """Inpainting (with ``init_image``): repaint where the mask is white."""
    mask_blur: int = DEFAULT_MASK_BLUR
    mask_grow: int = DEFAULT_MASK_GROW
    hires: HiresSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["loras"] = [asdict(lora) for lora in self.loras]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationSpec:
        values = dict(data)
        values["loras"] = tuple(LoraSpec(**lora) for lora in values.get("loras", ()))
        for name in ("init_image", "mask"):
            if values.get(name) is not None:
                values[name] = SourceImage(**values[name])
        if values.get("hires") is not None:
            values["hires"] = HiresSpec(**values["hires"])
        return cls(**values)
