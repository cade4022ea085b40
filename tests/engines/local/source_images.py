"""Init images and masks for the embedded engine's second-pass tests, stored in a media folder
as the API stores uploads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from gaze.generation_spec import SourceImage

SIZE = (64, 48)


def stored_source(media_dir: Path, name: str, image: Image.Image) -> SourceImage:
    """`image` saved as ``inputs/<name>`` under `media_dir`, as a spec refers to it."""
    path = media_dir / "inputs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return SourceImage(f"inputs/{name}", hashlib.sha256(path.read_bytes()).hexdigest())


def noise_image(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def box_mask(box: tuple[int, int, int, int], size: tuple[int, int] = SIZE) -> Image.Image:
    """White (repaint) inside `box`, black elsewhere."""
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    return mask
