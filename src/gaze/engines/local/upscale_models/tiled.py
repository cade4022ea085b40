"""Running an upscale model over an image in overlapping tiles, as ComfyUI's
``ImageUpscaleWithModel`` does (``tiled_scale`` with 512 px tiles overlapping by 32 px).

An image no larger than a tile runs whole. Otherwise tiles start every ``tile - overlap`` px
(the last ones pushed back inside the image), each tile's output is weighted by a ramp that
rises over the (scaled) overlap at its four edges, and the weighted sum is divided by the summed
weights. The result is clamped to 0..1.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gaze.engines.local.upscale_models.loading import UpscaleModel

TILE = 512
OVERLAP = 32


def upscaled_image(
    model: UpscaleModel, pixels: Tensor, tile: int = TILE, overlap: int = OVERLAP
) -> Tensor:
    """``pixels`` (1, 3, h, w) in 0..1 enlarged by the model, on the CPU."""
    with torch.inference_mode():
        height, width = pixels.shape[-2:]
        if height <= tile and width <= tile:
            result = _run(model, pixels)
        else:
            result = _tiled(model, pixels, tile, overlap)
    return torch.clamp(result, min=0.0, max=1.0)


def _run(model: UpscaleModel, piece: Tensor) -> Tensor:
    parameter = next(model.network.parameters())
    return model.network(piece.to(parameter.device, parameter.dtype)).float().cpu()


def _tiled(model: UpscaleModel, pixels: Tensor, tile: int, overlap: int) -> Tensor:
    scale = model.scale
    height, width = pixels.shape[-2:]
    out_size = (round(height * scale), round(width * scale))
    total = torch.zeros((pixels.shape[0], 3, *out_size))
    weights = torch.zeros_like(total)
    feather = round(overlap * scale)
    for top in _starts(height, tile, overlap):
        for left in _starts(width, tile, overlap):
            piece = pixels[..., top : top + tile, left : left + tile]
            upscaled = _run(model, piece)
            ramp = _edge_ramp(upscaled, feather)
            rows = slice(round(top * scale), round(top * scale) + upscaled.shape[-2])
            cols = slice(round(left * scale), round(left * scale) + upscaled.shape[-1])
            total[..., rows, cols] += upscaled * ramp
            weights[..., rows, cols] += ramp
    return total / weights


def _starts(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    return [
        max(0, min(size - overlap, start)) for start in range(0, size - overlap, tile - overlap)
    ]


def _edge_ramp(piece: Tensor, feather: int) -> Tensor:
    ramp = torch.ones_like(piece)
    for dim in (2, 3):
        length = ramp.shape[dim]
        if feather >= length:
            continue
        for step in range(feather):
            weight = (step + 1) / feather
            ramp.narrow(dim, step, 1).mul_(weight)
            ramp.narrow(dim, length - 1 - step, 1).mul_(weight)
    return ramp
