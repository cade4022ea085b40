"""The pictures the stand-in "generates": seeded noise, a pure function of seed and size."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

LATENT_SCALE = 8


def expected_image(seed: int, width: int, height: int) -> Image.Image:
    """The RGB image the stand-in renders for ``seed`` at ``width`` x ``height``.

    Noise is drawn at latent resolution (1/8 of the size, as a real latent is) and scaled
    up, so files stay small and fast to encode while every seed looks different.
    """
    rng = np.random.default_rng(seed)
    latent_w = max(1, width // LATENT_SCALE)
    latent_h = max(1, height // LATENT_SCALE)
    noise = rng.integers(0, 256, size=(latent_h, latent_w, 3), dtype=np.uint8)
    return Image.fromarray(noise, mode="RGB").resize((width, height), Image.Resampling.NEAREST)


def encode_png(image: Image.Image, prompt: dict[str, Any], extra_pnginfo: Any) -> bytes:
    """PNG bytes with ``prompt`` (and each extra_pnginfo key) as text chunks, like SaveImage."""
    metadata = PngInfo()
    metadata.add_text("prompt", json.dumps(prompt))
    if isinstance(extra_pnginfo, dict):
        for key, value in extra_pnginfo.items():
            metadata.add_text(key, json.dumps(value))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=metadata, compress_level=1)
    return buffer.getvalue()


def encode_preview(image: Image.Image) -> bytes:
    """A small JPEG preview, as sent in binary websocket frames."""
    preview = image.copy()
    preview.thumbnail((64, 64))
    buffer = io.BytesIO()
    preview.save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()
