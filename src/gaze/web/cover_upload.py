"""Uploaded cover images: checked and re-encoded as PNG under ``covers/`` in the media folder.

Re-encoding keeps only pixels: whatever else an uploaded file carries is dropped.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from gaze.media.storage import save_png_as

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
COVER_MAX_SIDE = 1024


class UnusableUpload(ValueError):
    pass


def save_uploaded_cover(media_dir: Path, kind: str, slug: str, data: bytes) -> str:
    """Store an uploaded image as a cover; returns its path relative to the media folder."""
    if not data:
        raise UnusableUpload("the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnusableUpload(f"the file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise UnusableUpload("the image has too many pixels")
            probe.load()
            image = probe.convert("RGBA" if "A" in probe.getbands() else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise UnusableUpload("not an image GAZE can read (PNG, JPEG or WebP)") from None
    image.thumbnail((COVER_MAX_SIDE, COVER_MAX_SIDE))
    relative = f"covers/{kind}/{slug}_{time.time_ns()}.png"
    save_png_as(media_dir, relative, image)
    return relative
