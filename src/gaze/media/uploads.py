"""Images users upload to start a generation from (img2img, inpainting masks).

An upload is decoded, turned upright (its EXIF orientation applied) and stored again as a PNG
under ``inputs/`` in the media folder: only its pixels are kept, whatever else the file carries.
"""

from __future__ import annotations

import io
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from gaze.service_errors import ServiceError

UPLOADS_FOLDER = "inputs"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP")
_KEPT_MODES = ("RGB", "RGBA", "L", "LA")


class UploadRejected(ServiceError):
    """A file GAZE will not store as an upload (400; `code` names the problem)."""


class UploadNotSaved(ServiceError):
    """The media folder could not take the file (disk full, permissions): 507."""

    status = 507
    default_code = "upload_not_saved"


@dataclass(frozen=True)
class StoredUpload:
    upload_id: str
    relative_path: str
    """``inputs/<upload_id>.png``, relative to the media folder."""
    width: int
    height: int

    def to_json(self) -> dict[str, object]:
        return {
            "upload_id": self.upload_id,
            "relative_path": self.relative_path,
            "width": self.width,
            "height": self.height,
        }


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def decoded_upload(data: bytes) -> Image.Image:
    """The uploaded file's pixels, upright, in a mode PNG stores; UploadRejected otherwise."""
    if not data:
        raise UploadRejected("the file is empty", code="empty_file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"the file is {_megabytes(len(data))}; at most {_megabytes(MAX_UPLOAD_BYTES)}",
            code="file_too_large",
        )
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in UPLOAD_FORMATS:
                raise UploadRejected(
                    f"the file is {opened.format or 'an unknown format'}; send PNG, JPEG or WebP",
                    code="unsupported_image_format",
                )
            check_image_size(opened.size)
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise UploadRejected(
            "the file is not an image GAZE can read (PNG, JPEG or WebP)", code="not_an_image"
        ) from None
    if image.mode not in _KEPT_MODES:
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    return image


def check_image_size(size: tuple[int, int]) -> None:
    width, height = size
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise UploadRejected(
            f"the image is {width}x{height} px; at most {MAX_IMAGE_SIDE} px a side",
            code="image_too_large",
        )


def store_upload(media_dir: Path, data: bytes) -> StoredUpload:
    """Check, decode and store an uploaded PNG, JPEG or WebP file as ``inputs/<id>.png``."""
    image = decoded_upload(data)
    upload_id = uuid.uuid4().hex
    relative_path = f"{UPLOADS_FOLDER}/{upload_id}.png"
    target = media_dir / UPLOADS_FOLDER / f"{upload_id}.png"
    temporary = target.with_name(f".tmp-{os.getpid()}-{time.monotonic_ns()}.png")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(temporary, format="PNG")
        os.replace(temporary, target)
    except OSError as error:
        raise UploadNotSaved(f"the upload could not be saved: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return StoredUpload(upload_id, relative_path, image.width, image.height)
