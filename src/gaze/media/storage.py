"""Saving generated images under the media folder without ever overwriting one."""

from __future__ import annotations

import io
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, PngImagePlugin

STATIC_URL_PREFIX = "/static/uploads"
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class UnsafePath(ValueError):
    """A relative path that would leave the media folder."""


@dataclass(frozen=True)
class SavedImage:
    relative_path: str

    @property
    def url(self) -> str:
        return f"{STATIC_URL_PREFIX}/{self.relative_path}"


def safe_relative_folder(folder: str) -> PurePosixPath:
    """A relative folder inside the media folder; refuses absolute paths and `..`."""
    path = PurePosixPath(folder)
    if path.is_absolute() or not path.parts or not all(_SAFE_SEGMENT.match(p) for p in path.parts):
        raise UnsafePath(f"unsafe media folder: {folder!r}")
    return path


def encode_png(image: Image.Image, info: PngImagePlugin.PngInfo) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def save_png(media_dir: Path, folder: str, data: bytes, now: float | None = None) -> SavedImage:
    """Write `data` as `<folder>/gen_<unix seconds>.png`, adding `_N` when the name is taken.

    The file is written under a temporary name and linked into place, so a reader never sees
    a partial PNG and an existing image is never replaced.
    """
    relative_folder = safe_relative_folder(folder)
    target_dir = media_dir / relative_folder
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = int(now if now is not None else time.time())
    temporary = target_dir / f".tmp-{os.getpid()}-{time.monotonic_ns()}.png"
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        suffix = 0
        while True:
            name = f"gen_{stamp}.png" if suffix == 0 else f"gen_{stamp}_{suffix}.png"
            final = target_dir / name
            try:
                os.link(temporary, final)
            except FileExistsError:
                suffix += 1
                continue
            return SavedImage(str(relative_folder / name))
    finally:
        temporary.unlink(missing_ok=True)


def delete_image(media_dir: Path, relative_path: str) -> None:
    path = PurePosixPath(relative_path)
    if path.is_absolute() or ".." in path.parts:
        raise UnsafePath(f"unsafe media path: {relative_path!r}")
    (media_dir / path).unlink(missing_ok=True)


def save_png_as(media_dir: Path, relative_path: str, image: Image.Image) -> Path:
    """Write an image at a fixed relative path (covers), replacing it atomically."""
    path = PurePosixPath(relative_path)
    safe_relative_folder(str(path.parent))
    target = media_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".tmp-{os.getpid()}-{time.monotonic_ns()}.png")
    image.save(temporary, format="PNG")
    os.replace(temporary, target)
    return target
