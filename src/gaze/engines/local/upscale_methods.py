"""Resizing latents and images as ComfyUI's ``common_upscale`` does it (no crop).

- torch's ``interpolate`` modes (``nearest-exact``, ``bilinear``, ``bicubic``, ``area``) with its
  defaults (no corner alignment, no antialiasing);
- ``bislerp``: bilinear positions, but each pair of neighbours is blended by spherical linear
  interpolation of their channel vectors (direction slerped, length lerped), first along the width,
  then along the height;
- ``lanczos`` (images only): each image to 8 bits (truncating), PIL's Lanczos, back to 0..1.

Tensors are ``(batch, channels, height, width)``.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from gaze.generation_spec import LATENT_UPSCALERS, PIXEL_UPSCALERS

INTERPOLATE_MODES = ("nearest-exact", "bilinear", "bicubic", "area")
LATENT_METHODS = ("nearest-exact", "bilinear", "bicubic", "area", "bislerp")
UPSCALER_METHODS: dict[str, str] = {
    **dict(zip(LATENT_UPSCALERS, LATENT_METHODS, strict=True)),
    **{name: name.removeprefix("pixel-") for name in PIXEL_UPSCALERS},
}
"""The resize method behind each latent / pixel second-pass upscaler."""

SLERP_PARALLEL = 1 - 1e-5
"""Neighbours closer to parallel than this (cosine) take the first one; closer to opposite,
a plain lerp."""


def resized(samples: Tensor, width: int, height: int, method: str) -> Tensor:
    """``samples`` at ``width`` x ``height`` by `method` (see the module docstring)."""
    if method == "bislerp":
        return bislerp(samples, width, height)
    if method == "lanczos":
        return lanczos(samples, width, height)
    if method not in INTERPOLATE_MODES:
        raise ValueError(f"unknown resize method {method!r}")
    return torch.nn.functional.interpolate(samples, size=(height, width), mode=method)


def lanczos(images: Tensor, width: int, height: int) -> Tensor:
    """Images in 0..1 through PIL's Lanczos at 8 bits (values are truncated to bytes first)."""
    resized_images = []
    for image in images:
        array = np.clip(255.0 * image.movedim(0, -1).cpu().numpy(), 0, 255).astype(np.uint8)
        scaled = Image.fromarray(array).resize((width, height), resample=Image.Resampling.LANCZOS)
        values = np.asarray(scaled).astype(np.float32) / 255.0
        resized_images.append(torch.from_numpy(values).movedim(-1, 0))
    return torch.stack(resized_images).to(images.device, images.dtype)


def bislerp(samples: Tensor, width: int, height: int) -> Tensor:
    """Spherical-bilinear resize (see the module docstring); computed in float32."""
    original_dtype = samples.dtype
    values = samples.float()
    batch, channels, rows, _ = values.shape

    ratios, first, second = _neighbours(values.shape[-1], width, values.device)
    along_width = _slerp_pairs(
        values.gather(-1, first.expand(batch, channels, rows, -1)),
        values.gather(-1, second.expand(batch, channels, rows, -1)),
        ratios.expand(batch, 1, rows, -1),
    )

    ratios, first, second = _neighbours(rows, height, values.device)
    column = (1, 1, -1, 1)
    result = _slerp_pairs(
        along_width.gather(-2, first.reshape(column).expand(batch, channels, -1, width)),
        along_width.gather(-2, second.reshape(column).expand(batch, channels, -1, width)),
        ratios.reshape(column).expand(batch, 1, -1, width),
    )
    return result.to(original_dtype)


def _neighbours(old: int, new: int, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """For each new position: the blend ratio and the two old indices it lies between, as
    ``(1, 1, 1, new)`` tensors (positions from a bilinear resize of the index ramp)."""
    ramp = torch.arange(old, dtype=torch.float32, device=device).reshape(1, 1, 1, -1)
    lower = torch.nn.functional.interpolate(ramp, size=(1, new), mode="bilinear")
    ratios = lower - lower.floor()
    upper_ramp = ramp + 1
    upper_ramp[..., -1] -= 1
    upper = torch.nn.functional.interpolate(upper_ramp, size=(1, new), mode="bilinear")
    return ratios, lower.to(torch.int64), upper.to(torch.int64)


def _slerp_pairs(low: Tensor, high: Tensor, ratios: Tensor) -> Tensor:
    """Slerp of ``low`` and ``high`` (b, c, h, w) by ``ratios`` (b, 1, h, w), per pixel over the
    channels."""
    batch, channels, rows, cols = low.shape
    flat_low = low.movedim(1, -1).reshape(-1, channels)
    flat_high = high.movedim(1, -1).reshape(-1, channels)
    flat_ratios = ratios.movedim(1, -1).reshape(-1, 1)
    blended = _slerp(flat_low, flat_high, flat_ratios)
    return blended.reshape(batch, rows, cols, channels).movedim(-1, 1)


def _slerp(low: Tensor, high: Tensor, ratio: Tensor) -> Tensor:
    """Rows of ``low`` and ``high`` (n, c) slerped by ``ratio`` (n, 1)."""
    channels = low.shape[-1]
    low_norms = torch.norm(low, dim=-1, keepdim=True)
    high_norms = torch.norm(high, dim=-1, keepdim=True)
    low_unit = low / low_norms
    high_unit = high / high_norms
    low_unit[low_norms.expand(-1, channels) == 0.0] = 0.0
    high_unit[high_norms.expand(-1, channels) == 0.0] = 0.0
    cosine = (low_unit * high_unit).sum(1)
    omega = torch.acos(cosine)
    sin_omega = torch.sin(omega)
    weights = ratio.squeeze(1)
    result = (torch.sin((1.0 - weights) * omega) / sin_omega).unsqueeze(1) * low_unit + (
        torch.sin(weights * omega) / sin_omega
    ).unsqueeze(1) * high_unit
    result *= (low_norms * (1.0 - ratio) + high_norms * ratio).expand(-1, channels)
    parallel = cosine > SLERP_PARALLEL
    result[parallel] = low[parallel]
    opposite = cosine < -SLERP_PARALLEL
    result[opposite] = (low * (1.0 - ratio) + high * ratio)[opposite]
    return result
