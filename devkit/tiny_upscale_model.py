"""Tiny random-weight upscale model files in the layouts people download, for tests and benchmarks.

The key names and tensor shapes are written out here from the published layouts (not from
GAZE's own network classes), so that loading them checks GAZE's reading of those layouts:

- ``esrgan-old``: ESRGAN's original RRDBNet names (``model.0``, ``model.1.sub.N.RDBK.convJ.0``,
  the trunk convolution ``model.1.sub.<blocks>``, then the upsampling and HR convolutions at the
  top-level indices ESRGAN's ``nn.Sequential`` gives them); 2x = one upsampling, 4x = two;
- ``esrgan-new``: BasicSR's RRDBNet names (``conv_first``, ``body.N.rdbK.convJ``, ``conv_body``,
  ``conv_up1``/``conv_up2``, ``conv_hr``, ``conv_last``); 4x takes the image as it is, 2x (as
  Real-ESRGAN's x2plus) folds it into 12 channels by a pixel unshuffle; ``.pth`` files are
  wrapped in ``params_ema`` as BasicSR saves them;
- ``compact``: Real-ESRGAN's SRVGGNetCompact (``body.N``: convolutions with PReLU weights
  between them, the last one giving ``3 * scale**2`` maps); ``.pth`` wrapped in ``params``.

The format follows the file's suffix: ``.safetensors`` or ``.pth`` (``torch.save``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from safetensors.torch import save_file

UpscaleLayout = Literal["esrgan-old", "esrgan-new", "compact"]
UPSCALE_LAYOUTS: tuple[UpscaleLayout, ...] = ("esrgan-old", "esrgan-new", "compact")
UPSCALE_SCALES = (2, 4)
FEATURES = 8
GROWTH = 4
BLOCKS = 1
COMPACT_CONVOLUTIONS = 2
WEIGHT_SPREAD = 0.05
PTH_WRAPPERS: dict[UpscaleLayout, str | None] = {
    "esrgan-old": None,
    "esrgan-new": "params_ema",
    "compact": "params",
}


def write_tiny_upscale_model(path: Path, layout: UpscaleLayout, scale: int, seed: int = 0) -> Path:
    """Write a tiny model of `layout` and `scale` (2 or 4) to `path` and return it."""
    if scale not in UPSCALE_SCALES:
        raise ValueError(f"scale must be one of {UPSCALE_SCALES}, got {scale}")
    shapes = _SHAPES[layout](scale)
    generator = torch.Generator().manual_seed(seed)
    state = {key: torch.randn(shape, generator=generator) for key, shape in shapes.items()}
    state = {key: value * WEIGHT_SPREAD for key, value in state.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".safetensors":
        save_file(state, path)
    elif path.suffix == ".pth":
        wrapper = PTH_WRAPPERS[layout]
        torch.save({wrapper: state} if wrapper else state, path)
    else:
        raise ValueError(f"write a .pth or .safetensors file, not {path.name}")
    return path


Shapes = dict[str, tuple[int, ...]]


def _conv(name: str, out_channels: int, in_channels: int) -> Shapes:
    return {f"{name}.weight": (out_channels, in_channels, 3, 3), f"{name}.bias": (out_channels,)}


def _dense_blocks(name_of: str) -> Shapes:
    """The blocks' convolutions; ``name_of`` formats (block, rdb, conv) into a key prefix."""
    shapes: Shapes = {}
    for block in range(BLOCKS):
        for rdb in (1, 2, 3):
            for conv in (1, 2, 3, 4, 5):
                out_channels = FEATURES if conv == 5 else GROWTH
                in_channels = FEATURES + (conv - 1) * GROWTH
                shapes |= _conv(name_of.format(block, rdb, conv), out_channels, in_channels)
    return shapes


def _esrgan_old(scale: int) -> Shapes:
    doublings = {2: 1, 4: 2}[scale]
    shapes = _conv("model.0", FEATURES, 3)
    shapes |= _dense_blocks("model.1.sub.{}.RDB{}.conv{}.0")
    shapes |= _conv(f"model.1.sub.{BLOCKS}", FEATURES, FEATURES)
    for block in range(doublings):
        shapes |= _conv(f"model.{3 + 3 * block}", FEATURES, FEATURES)
    shapes |= _conv(f"model.{2 + 3 * doublings}", FEATURES, FEATURES)
    shapes |= _conv(f"model.{4 + 3 * doublings}", 3, FEATURES)
    return shapes


def _esrgan_new(scale: int) -> Shapes:
    unshuffle = {2: 2, 4: 1}[scale]
    shapes = _conv("conv_first", FEATURES, 3 * unshuffle**2)
    shapes |= _dense_blocks("body.{}.rdb{}.conv{}")
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        shapes |= _conv(name, FEATURES, FEATURES)
    return shapes | _conv("conv_last", 3, FEATURES)


def _compact(scale: int) -> Shapes:
    shapes = _conv("body.0", FEATURES, 3)
    index = 1
    for _ in range(COMPACT_CONVOLUTIONS):
        shapes[f"body.{index}.weight"] = (FEATURES,)
        shapes |= _conv(f"body.{index + 1}", FEATURES, FEATURES)
        index += 2
    shapes[f"body.{index}.weight"] = (FEATURES,)
    return shapes | _conv(f"body.{index + 1}", 3 * scale * scale, FEATURES)


_SHAPES = {"esrgan-old": _esrgan_old, "esrgan-new": _esrgan_new, "compact": _compact}
