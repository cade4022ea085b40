"""What the image, inpainting and upscaling nodes "compute" in the stand-in: sizes, not pixels.

Values flowing between nodes are facts (dicts): images and latents carry their pixel
``width`` and ``height`` (a latent: its size times 8) and the ``seed`` that last sampled them;
a latent may carry a ``noise_mask`` (kept through KSampler and LatentUpscale*, as ComfyUI
copies the latent dict). Sizes follow ComfyUI's arithmetic for each node, so the saved
image has the size a real server's would have. LoadImage reads the stored upload for its size.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

from PIL import Image

from tests.comfyui_standin.image_node_types import annotated_file

Facts = dict[str, Any]
StoredFiles = dict[tuple[str, str, str], bytes]

LATENT_SCALE = 8
NO_MASK_SIZE = 64
"""LoadImage's mask without an alpha channel (and LoadImageMask's for a missing channel)."""
DEFAULT_MODEL_SCALE = 4
TILE, TILE_OVERLAP = 512, 32
"""ImageUpscaleWithModel's tiles (one progress step each)."""

IMAGE_NODES = frozenset(
    {
        "LoadImage",
        "LoadImageMask",
        "VAEEncode",
        "SetLatentNoiseMask",
        "LatentUpscale",
        "LatentUpscaleBy",
        "ImageScale",
        "ImageScaleBy",
        "UpscaleModelLoader",
        "ImageUpscaleWithModel",
    }
)


def _open_stored(stored_files: StoredFiles, name: str) -> Image.Image:
    folder_type, path = annotated_file(name)
    subfolder, _, filename = path.rpartition("/")
    data = stored_files.get((folder_type, subfolder, filename))
    if data is None:
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{name}'")
    return Image.open(io.BytesIO(data))


def model_scale(model_name: str) -> int:
    """The stand-in's guess of an upscale model's factor from its name (``4x-...``, ``x2``)."""
    match = re.search(r"(?<![0-9])([1-8])x|x([1-8])(?![0-9])", model_name, re.IGNORECASE)
    if match is None:
        return DEFAULT_MODEL_SCALE
    return int(match.group(1) or match.group(2))


def tile_steps(width: int, height: int) -> int:
    """ComfyUI's ``get_tiled_scale_steps`` for ImageUpscaleWithModel's 512 px tiles."""
    return math.ceil(height / (TILE - TILE_OVERLAP)) * math.ceil(width / (TILE - TILE_OVERLAP))


def _resized(facts: Facts, width: int, height: int) -> Facts:
    return {**facts, "width": width, "height": height}


def run_image_node(class_type: str, inputs: dict[str, Any], stored_files: StoredFiles) -> tuple:
    """The outputs of one of IMAGE_NODES."""
    if class_type == "LoadImage":
        with _open_stored(stored_files, inputs["image"]) as image:
            width, height = image.size
            has_alpha = "A" in image.getbands() or "transparency" in image.info
        mask_size = (width, height) if has_alpha else (NO_MASK_SIZE, NO_MASK_SIZE)
        pixels = {"width": width, "height": height, "seed": None, "source": inputs["image"]}
        mask = {"width": mask_size[0], "height": mask_size[1], "source": inputs["image"]}
        return (pixels, mask)
    if class_type == "LoadImageMask":
        with _open_stored(stored_files, inputs["image"]) as image:
            width, height = image.size
        return ({"width": width, "height": height, "channel": inputs["channel"]},)
    if class_type == "VAEEncode":
        pixels = inputs["pixels"]
        width = pixels["width"] // LATENT_SCALE * LATENT_SCALE
        height = pixels["height"] // LATENT_SCALE * LATENT_SCALE
        return (_resized(pixels, width, height),)
    if class_type == "SetLatentNoiseMask":
        return ({**inputs["samples"], "noise_mask": inputs["mask"]},)
    if class_type == "LatentUpscaleBy":
        samples, scale = inputs["samples"], float(inputs["scale_by"])
        width = round(samples["width"] // LATENT_SCALE * scale) * LATENT_SCALE
        height = round(samples["height"] // LATENT_SCALE * scale) * LATENT_SCALE
        return (_resized(samples, width, height),)
    if class_type == "LatentUpscale":
        return (_latent_upscaled(inputs["samples"], int(inputs["width"]), int(inputs["height"])),)
    if class_type == "ImageScale":
        return (_image_scaled(inputs["image"], int(inputs["width"]), int(inputs["height"])),)
    if class_type == "ImageScaleBy":
        image, scale = inputs["image"], float(inputs["scale_by"])
        return (_resized(image, round(image["width"] * scale), round(image["height"] * scale)),)
    if class_type == "UpscaleModelLoader":
        name = inputs["model_name"]
        return ({"upscale_model": name, "scale": model_scale(name)},)
    if class_type == "ImageUpscaleWithModel":
        image, scale = inputs["image"], inputs["upscale_model"]["scale"]
        return (_resized(image, image["width"] * scale, image["height"] * scale),)
    raise ValueError(f"{class_type} is not an image node")


def _latent_upscaled(samples: Facts, width: int, height: int) -> Facts:
    if width == 0 and height == 0:
        return samples
    if width == 0:
        height = max(64, height)
        width = max(64, round(samples["width"] * height / samples["height"]))
    elif height == 0:
        width = max(64, width)
        height = max(64, round(samples["height"] * width / samples["width"]))
    else:
        width, height = max(64, width), max(64, height)
    return _resized(
        samples, width // LATENT_SCALE * LATENT_SCALE, height // LATENT_SCALE * LATENT_SCALE
    )


def _image_scaled(image: Facts, width: int, height: int) -> Facts:
    if width == 0 and height == 0:
        return image
    if width == 0:
        width = max(1, round(image["width"] * height / image["height"]))
    elif height == 0:
        height = max(1, round(image["height"] * width / image["width"]))
    return _resized(image, width, height)
