"""The job's init image and mask, prepared by `gaze.engines.image_inputs` and stored on the server.

ComfyUI reads images only from its input folder, so before ``POST /prompt`` each prepared image
is encoded as PNG and sent with ``POST /upload/image``. The file is named by the SHA-256 of its
PNG bytes: the same prepared image always has the same name, so a repeat replaces a file with
identical bytes, ComfyUI's ``LoadImage`` cache (keyed on the file's hash) still holds, and the
input folder does not grow with copies.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from gaze.engines.base import EngineError
from gaze.engines.comfyui.client import ComfyUIClient
from gaze.engines.comfyui.workflow import UploadedImages
from gaze.engines.image_inputs import prepared_init_image, prepared_mask
from gaze.generation_spec import GenerationSpec

UPLOAD_PREFIX = "gaze_"


def png_bytes(image: Image.Image) -> bytes:
    """``image`` as PNG; the same pixels always give the same bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=4)
    return buffer.getvalue()


def upload_name(data: bytes) -> str:
    """The input-folder file name of an upload: its SHA-256, so repeats land on one file."""
    return f"{UPLOAD_PREFIX}{hashlib.sha256(data).hexdigest()}.png"


def prepared_uploads(spec: GenerationSpec, media_dir: Path | None) -> dict[str, bytes]:
    """The PNG bytes to upload per role (``init_image``, ``mask``); empty for text-to-image."""
    if spec.init_image is None:
        if spec.mask is not None:
            raise EngineError("a mask needs an init image to inpaint")
        return {}
    if media_dir is None:
        raise EngineError("this backend has no media folder to read the init image from")
    files = {"init_image": png_bytes(prepared_init_image(spec, media_dir))}
    mask = prepared_mask(spec, media_dir)
    if mask is not None:
        files["mask"] = png_bytes(mask)
    return files


async def upload_inputs(client: ComfyUIClient, files: dict[str, bytes]) -> UploadedImages:
    """Store each prepared image on the server; the names to load them by."""
    names: dict[str, str] = {}
    for role, data in files.items():
        names[role] = await client.upload_image(data, upload_name(data))
    return UploadedImages(init_image=names.get("init_image"), mask=names.get("mask"))
