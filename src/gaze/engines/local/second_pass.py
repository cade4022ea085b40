"""The hires fix's upscale between the two sampling passes, as ComfyUI's hires graph does it.

- Size: ``round(width * scale / 8) * 8`` by ``round(height * scale / 8) * 8`` (GenerationSpec's
  rule).
- Latent upscalers (``LatentUpscaleBy``): the first pass's latent, unscaled from the model's latent
  space as ComfyUI hands latents between nodes, resized with the method, scaled back.
- Pixel upscalers: decode (0..1 floats, no 8-bit rounding), resize to the size (``ImageScale``),
  encode.
- Upscale models: decode, run the model (``ImageUpscaleWithModel``: tiled, clamped), Lanczos to
  the exact size (``ImageScale``), encode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor

from gaze.engines.local.upscale_methods import UPSCALER_METHODS, resized
from gaze.engines.local.upscale_models.loading import UpscaleModel
from gaze.engines.local.upscale_models.tiled import upscaled_image
from gaze.engines.local.vae_pixels import decode_pixels, encode_pixels
from gaze.generation_spec import LATENT_UPSCALERS, GenerationSpec, HiresSpec, is_upscale_model

SIZE_MULTIPLE = 8
LATENT_DOWNSCALE = 8
MODEL_RESIZE_METHOD = "lanczos"


@dataclass(frozen=True)
class HiresPass:
    """A second pass with every default resolved from the first pass."""

    width: int
    height: int
    steps: int
    denoise: float
    sampler: str
    scheduler: str
    upscaler: str

    def info(self) -> dict[str, Any]:
        """What the job's result (and so the PNG) records of the pass."""
        return {
            "upscaler": self.upscaler,
            "width": self.width,
            "height": self.height,
            "steps": self.steps,
            "denoise": self.denoise,
            "sampler": self.sampler,
            "scheduler": self.scheduler,
        }


def hires_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """The second pass's size in pixels (multiples of 8)."""
    return (
        round(width * scale / SIZE_MULTIPLE) * SIZE_MULTIPLE,
        round(height * scale / SIZE_MULTIPLE) * SIZE_MULTIPLE,
    )


def hires_pass(spec: GenerationSpec, hires: HiresSpec) -> HiresPass:
    width, height = hires_size(spec.width, spec.height, hires.scale)
    return HiresPass(
        width=width,
        height=height,
        steps=hires.steps if hires.steps is not None else spec.steps,
        denoise=hires.denoise,
        sampler=hires.sampler or spec.sampler,
        scheduler=hires.scheduler or spec.scheduler,
        upscaler=hires.upscaler,
    )


def upscaled_latent(
    vae: Any, latent: Tensor, plan: HiresPass, upscale_model: UpscaleModel | None
) -> Tensor:
    """The second pass's start latent (scaled, like ``latent``) from the first pass's result."""
    if plan.upscaler in LATENT_UPSCALERS:
        factor = vae.config.scaling_factor
        as_between_nodes = latent / factor
        size = (plan.width // LATENT_DOWNSCALE, plan.height // LATENT_DOWNSCALE)
        return resized(as_between_nodes, *size, UPSCALER_METHODS[plan.upscaler]) * factor
    pixels = decode_pixels(vae, latent)
    if is_upscale_model(plan.upscaler):
        if upscale_model is None:
            raise ValueError(f"the upscale model {plan.upscaler} was not loaded")
        pixels = upscaled_image(upscale_model, pixels)
        method = MODEL_RESIZE_METHOD
    else:
        method = UPSCALER_METHODS[plan.upscaler]
    return encode_pixels(vae, resized(pixels, plan.width, plan.height, method))
