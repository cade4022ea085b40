"""The init image and mask a job starts from, prepared once so every backend gets the same pixels.

Both engines call these: the embedded engine VAE-encodes the result, the ComfyUI engine uploads
it, so ComfyUI's graph only loads the prepared images.

Rules:
- the source must be the file the job was queued with (its SHA-256), inside the media folder;
- it is brought to the job's size per ``spec.resize``: ``stretch`` (also None) resizes to the
  size, ``crop`` scales to cover it and cuts the middle, ``pad`` scales to fit inside it and fills
  the rest with mid grey (the mask, if any, is white there: the padding is repainted);
- images are resized with Lanczos, masks bilinearly;
- the mask is its red channel (as ComfyUI's ``LoadImageMask`` reads channel "red"), grown by
  ``mask_grow`` px (a square max filter) and then blurred by a Gaussian of radius ``mask_blur``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from gaze.engines.base import EngineError
from gaze.generation_spec import GenerationSpec, SourceImage

PAD_FILL_RGB = (128, 128, 128)
PAD_FILL_MASK = 255


def load_source(media_dir: Path, source: SourceImage) -> Image.Image:
    """The source image's file, decoded, after checking it is the one the job was queued with."""
    root = media_dir.resolve()
    path = (root / source.path).resolve()
    if not path.is_relative_to(root):
        raise EngineError(f"image {source.path!r} lies outside the media folder")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise EngineError(f"image {source.path!r} cannot be read: {exc.strerror or exc}") from exc
    if hashlib.sha256(content).hexdigest() != source.sha256:
        raise EngineError(f"image {source.path!r} changed since the job was queued")
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise EngineError(f"image {source.path!r} is not a readable image: {exc}") from exc
    return image


def prepared_init_image(spec: GenerationSpec, media_dir: Path) -> Image.Image:
    """The init image as RGB at ``spec.width`` x ``spec.height``."""
    if spec.init_image is None:
        raise EngineError("the job has no init image")
    image = load_source(media_dir, spec.init_image).convert("RGB")
    return fitted_to_size(image, (spec.width, spec.height), spec.resize, PAD_FILL_RGB)


def prepared_mask(spec: GenerationSpec, media_dir: Path) -> Image.Image | None:
    """The mask (mode "L", white = repaint) at the job's size, grown then blurred; None
    without one."""
    if spec.mask is None:
        return None
    source = load_source(media_dir, spec.mask)
    red = source.convert("RGB").getchannel("R")
    mask = fitted_to_size(red, (spec.width, spec.height), spec.resize, PAD_FILL_MASK)
    return blurred_mask(grown_mask(mask, spec.mask_grow), spec.mask_blur)


def fitted_to_size(
    image: Image.Image,
    size: tuple[int, int],
    resize: str | None,
    pad_fill: int | tuple[int, int, int],
) -> Image.Image:
    """`image` (mode "RGB" or "L") brought to `size` per the resize mode."""
    resample = Image.Resampling.LANCZOS if image.mode == "RGB" else Image.Resampling.BILINEAR
    if image.size == size:
        return image.copy()
    width, height = size
    if resize in (None, "stretch"):
        return image.resize(size, resample)
    if resize == "crop":
        scale = max(width / image.width, height / image.height)
        scaled = _scaled(image, scale, resample, at_least=size)
        left = (scaled.width - width) // 2
        top = (scaled.height - height) // 2
        return scaled.crop((left, top, left + width, top + height))
    if resize == "pad":
        scale = min(width / image.width, height / image.height)
        scaled = _scaled(image, scale, resample, at_least=(1, 1))
        scaled = scaled.crop((0, 0, min(scaled.width, width), min(scaled.height, height)))
        canvas = Image.new(image.mode, size, pad_fill)
        canvas.paste(scaled, ((width - scaled.width) // 2, (height - scaled.height) // 2))
        return canvas
    raise EngineError(f"unknown resize mode {resize!r}")


def _scaled(
    image: Image.Image, scale: float, resample: Image.Resampling, at_least: tuple[int, int]
) -> Image.Image:
    width = max(at_least[0], round(image.width * scale))
    height = max(at_least[1], round(image.height * scale))
    return image.resize((width, height), resample)


def grown_mask(mask: Image.Image, pixels: int) -> Image.Image:
    """`mask` dilated by `pixels` in every direction (a square neighbourhood)."""
    if pixels <= 0:
        return mask.copy()
    values = np.asarray(mask, dtype=np.uint8)
    values = _running_max(_running_max(values, pixels, axis=0), pixels, axis=1)
    return Image.fromarray(values, mode="L")


def _running_max(values: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """The maximum over ``[i - radius, i + radius]`` along `axis` (edges padded with 0)."""
    length = values.shape[axis]
    pad = [(0, 0), (0, 0)]
    pad[axis] = (radius, radius)
    padded = np.pad(values, pad)
    result = np.zeros_like(values)
    for offset in range(2 * radius + 1):
        window = np.take(padded, range(offset, offset + length), axis=axis)
        np.maximum(result, window, out=result)
    return result


def blurred_mask(mask: Image.Image, radius: int) -> Image.Image:
    """`mask` under a Gaussian blur of `radius` px (PIL's GaussianBlur); unchanged at 0."""
    if radius <= 0:
        return mask.copy()
    return mask.filter(ImageFilter.GaussianBlur(radius))
