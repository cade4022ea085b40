"""Pixels to latents and back as ComfyUI's VAEEncode / VAEDecode hand them between nodes.

Pixels are float ``(1, 3, h, w)`` tensors in 0..1 (ComfyUI's IMAGE, channels first). Encoding
maps them to -1..1, takes the posterior's mean (ComfyUI stopped sampling it in mid 2025) and
scales it into the model's latent space (``process_latent_in``); decoding undoes the scaling and
clamps to 0..1 without rounding to 8 bits (that happens only when an image is saved).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor


def pixels_of(image: Image.Image) -> Tensor:
    """An RGB image as ComfyUI's ``LoadImage`` reads it: bytes / 255."""
    array = np.asarray(image.convert("RGB")).astype(np.float32) / 255.0
    return torch.from_numpy(array).movedim(-1, 0).unsqueeze(0)


def encode_pixels(vae: Any, pixels: Tensor) -> Tensor:
    """The scaled latent of ``pixels`` (float32, on the CPU)."""
    scaled_input = (pixels * 2.0 - 1.0).to(vae.device, vae.dtype)
    posterior = vae.encode(scaled_input, return_dict=False)[0]
    return posterior.mode().float().cpu() * vae.config.scaling_factor


def decode_pixels(vae: Any, latent: Tensor) -> Tensor:
    """The pixels of a scaled latent, 0..1 (float32, on the CPU)."""
    unscaled = latent / vae.config.scaling_factor
    decoded = vae.decode(unscaled.to(vae.device, vae.dtype), return_dict=False)[0]
    return torch.clamp((decoded.float().cpu() + 1.0) / 2.0, min=0.0, max=1.0)
