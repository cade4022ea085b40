"""Drawn cover images for the example presets (the demo checkpoint only makes noise)."""

from __future__ import annotations

import hashlib

from PIL import Image, ImageDraw, ImageFont

COVER_SIZE = 512


def draw_cover(title: str, size: int = COVER_SIZE) -> Image.Image:
    """A soft two-colour gradient with the title, colours derived from the title."""
    digest = hashlib.sha256(title.encode()).digest()
    top = (40 + digest[0] % 80, 40 + digest[1] % 80, 90 + digest[2] % 120)
    bottom = (90 + digest[3] % 120, 30 + digest[4] % 60, 60 + digest[5] % 100)
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        mix = y / (size - 1)
        colour = tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (size, y)], fill=colour)
    font = ImageFont.load_default(size=size // 10)
    box = draw.textbbox((0, 0), title, font=font)
    width, height = box[2] - box[0], box[3] - box[1]
    draw.text(((size - width) / 2, (size - height) / 2), title, fill=(240, 240, 250), font=font)
    return image
