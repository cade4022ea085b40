"""Latents to pixels as ComfyUI's VAEDecode and SaveImage do it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor


def decode_latent(vae: Any, latent: Tensor) -> Image.Image:
    """The image of one latent: unscaled, decoded, mapped from [-1, 1] to [0, 1], then to 8 bits
    by truncation (ComfyUI's ``SaveImage`` truncates where diffusers rounds)."""
    scaled = latent / vae.config.scaling_factor
    decoded = vae.decode(scaled.to(vae.device, vae.dtype), return_dict=False)[0]
    pixels = torch.clamp((decoded.float().cpu() + 1.0) / 2.0, min=0.0, max=1.0)
    array = (255.0 * pixels[0].movedim(0, -1).numpy()).clip(0, 255).astype(np.uint8)
    return Image.fromarray(array)
