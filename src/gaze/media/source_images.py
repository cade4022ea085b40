"""Images already in the media folder that a job starts from (an upload or a gallery image):
checked to be a readable image file inside the folder, and fingerprinted by SHA-256 so the job
runs on exactly the file it was queued with."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from gaze.generation_spec import SourceImage
from gaze.media.uploads import MAX_IMAGE_SIDE, MAX_UPLOAD_BYTES

MAX_SOURCE_BYTES = 4 * MAX_UPLOAD_BYTES
"""A gallery image may be larger than an upload (a 4096 px PNG of noise is ~50 MB)."""


class SourceImageProblem(Exception):
    """Why a path cannot be used as a source image; the message follows the field's name."""


@dataclass(frozen=True)
class CheckedSource:
    source: SourceImage
    width: int
    height: int


def media_path_problem(relative_path: str) -> str | None:
    """Why `relative_path` is not a plain relative path inside the media folder, or None."""
    if not relative_path or len(relative_path) > 500:
        return "must be a path of 1 to 500 characters relative to the media folder"
    if "\\" in relative_path or "\x00" in relative_path:
        return f"must be a relative path with '/' separators, got {relative_path[:80]!r}"
    path = PurePosixPath(relative_path)
    if path.is_absolute() or any(part in ("", ".", "..") for part in relative_path.split("/")):
        return f"must be a path inside the media folder, got {relative_path[:80]!r}"
    return None


def checked_source(media_dir: Path, relative_path: str) -> CheckedSource:
    """The image at `relative_path` with its SHA-256 and size; SourceImageProblem when the path
    is unsafe, names no file, or the file is not an image within the size limits."""
    problem = media_path_problem(relative_path)
    if problem:
        raise SourceImageProblem(problem)
    root = media_dir.resolve()
    path = (root / relative_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise SourceImageProblem(f"{relative_path!r} is not an image in the media folder")
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise SourceImageProblem(f"{relative_path!r} is larger than {MAX_SOURCE_BYTES} bytes")
    content = path.read_bytes()
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
                raise SourceImageProblem(
                    f"{relative_path!r} is {width}x{height} px; at most {MAX_IMAGE_SIDE} px a side"
                )
            image.load()
            if image.getexif().get(_ORIENTATION, 1) in _QUARTER_TURNS:
                width, height = height, width
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise SourceImageProblem(f"{relative_path!r} is not a readable image") from None
    sha256 = hashlib.sha256(content).hexdigest()
    return CheckedSource(SourceImage(relative_path, sha256), width, height)


_ORIENTATION = 0x0112
_QUARTER_TURNS = (5, 6, 7, 8)
"""EXIF orientations that swap width and height (the engines apply them when loading)."""
