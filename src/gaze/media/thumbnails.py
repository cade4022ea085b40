"""Thumbnails of the images under the media folder: WebP, made on first request, kept on disk.

``/static/thumbs/<width>/<relative_path>.webp`` is the image at ``<relative_path>`` scaled to
``<width>`` pixels wide (never wider than it is), its height following the aspect ratio. The
file is cached at ``<cache>/<width>/<relative_path>.webp`` with the source's modification time,
so a source replaced at the same path (a preset's cover) is rendered again. Writes go through a
temporary file and a rename: concurrent first requests, here or in another process, never leave
a partial thumbnail, and one process renders a thumbnail once however many ask at the same time.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError

from gaze.media.storage import UnsafePath, safe_relative_folder

THUMBNAIL_WIDTHS = (128, 256, 512, 1024)
THUMBS_URL_PREFIX = "/static/thumbs"
THUMBS_FOLDER = "thumbs"
"""The thumbnails' folder inside the data folder's cache folder."""
WEBP_QUALITY = 80
RENDERING_VERSION = "q80"
"""Part of every ETag: change it when thumbnails are rendered differently."""
SOURCE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")

WRITE_ONCE_CACHE = "public, max-age=31536000, immutable"
"""Generated images (``gen_<unix seconds>[_<n>].png``) are never overwritten."""
CHANGING_CACHE = "public, max-age=300"
"""Other files (covers at a fixed path) may be replaced; browsers check their ETag again."""
_WRITE_ONCE_NAME = re.compile(r"^gen_\d+(?:_\d+)?\.png$")

log = logging.getLogger(__name__)


class ThumbnailUnavailable(Exception):
    """No thumbnail for this request; `status` is the HTTP answer (400 or 404), `code` and
    the message say why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Thumbnail:
    etag: str
    cache_control: str
    data: bytes | None
    """The WebP bytes; None when the client's ``If-None-Match`` already names this ETag."""


def thumbnail_url(relative_path: str, width: int) -> str:
    """Where the thumbnail of a file of the media folder is served."""
    return f"{THUMBS_URL_PREFIX}/{width}/{quote(relative_path)}.webp"


def thumbnail_urls(relative_path: str) -> dict[str, str]:
    """Every width's thumbnail URL, keyed by the width as text (JSON keys)."""
    return {str(width): thumbnail_url(relative_path, width) for width in THUMBNAIL_WIDTHS}


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names `etag` (weak or strong) or is ``*``."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip().removeprefix("W/")
        if candidate in ("*", etag):
            return True
    return False


class _PathLocks:
    """One lock per path while anyone holds it, so one thread renders a thumbnail and the
    others then read it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Path, tuple[threading.Lock, int]] = {}

    @contextmanager
    def holding(self, path: Path) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(path, (threading.Lock(), 0))
            self._locks[path] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[path]
                if users == 1:
                    del self._locks[path]
                else:
                    self._locks[path] = (lock, users - 1)


_RENDERING = _PathLocks()


def render_webp(source: Path, width: int) -> bytes:
    """`source` scaled to `width` pixels wide (never enlarged) as WebP; raises
    ThumbnailUnavailable when it is not an image Pillow reads."""
    try:
        with Image.open(source) as opened:
            opened.draft("RGB", (width, width))  # JPEG: decode at a reduced size
            image = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        raise ThumbnailUnavailable(404, "not_an_image", "That file is not an image.") from None
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY)
    return buffer.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


@dataclass(frozen=True)
class ThumbnailStore:
    """Thumbnails of the files of `media_dir`, cached under `cache_dir`."""

    media_dir: Path
    cache_dir: Path

    @classmethod
    def in_cache_folder(cls, media_dir: Path, data_cache_dir: Path) -> ThumbnailStore:
        """The store whose thumbnails live in ``<data cache folder>/thumbs``."""
        return cls(media_dir, data_cache_dir / THUMBS_FOLDER)

    def thumbnail(self, width: int, requested: str, if_none_match: str | None) -> Thumbnail:
        """The thumbnail at ``<width>/<requested>`` (``requested`` ends in ``.webp``), made
        and cached on first use; raises ThumbnailUnavailable."""
        if width not in THUMBNAIL_WIDTHS:
            widths = ", ".join(str(known) for known in THUMBNAIL_WIDTHS)
            raise ThumbnailUnavailable(
                404, "unknown_thumbnail_width", f"Thumbnail widths are {widths}, not {width}."
            )
        relative = self._source_path(requested)
        source = self._source_file(relative)
        try:
            stat = source.stat()
        except FileNotFoundError:  # deleted just now
            raise ThumbnailUnavailable(404, "image_not_found", f"No image at {relative}.") from None
        etag = f'"{width}-{stat.st_mtime_ns:x}-{stat.st_size:x}-{RENDERING_VERSION}"'
        cache_control = (
            WRITE_ONCE_CACHE if _WRITE_ONCE_NAME.match(relative.name) else CHANGING_CACHE
        )
        if etag_matches(if_none_match, etag):
            return Thumbnail(etag, cache_control, None)
        target = self.cache_dir / str(width) / f"{relative}.webp"
        data = self._cached(target, stat.st_mtime_ns)
        if data is None:
            with _RENDERING.holding(target):
                data = self._cached(target, stat.st_mtime_ns)
                if data is None:
                    data = render_webp(source, width)
                    try:
                        _write_atomically(target, data, stat.st_mtime_ns)
                    except OSError as error:  # a full or read-only disk: serve it uncached
                        log.warning("could not cache the thumbnail %s: %s", target, error)
        return Thumbnail(etag, cache_control, data)

    def forget(self, relative_path: str) -> None:
        """Delete every cached thumbnail of a file of the media folder (it was deleted)."""
        path = PurePosixPath(relative_path)
        if path.is_absolute() or ".." in path.parts:
            raise UnsafePath(f"unsafe media path: {relative_path!r}")
        for width in THUMBNAIL_WIDTHS:
            (self.cache_dir / str(width) / f"{path}.webp").unlink(missing_ok=True)

    def _source_path(self, requested: str) -> PurePosixPath:
        if "\x00" in requested or "\\" in requested:
            raise ThumbnailUnavailable(400, "invalid_path", "The path has a forbidden character.")
        if not requested.endswith(".webp"):
            raise ThumbnailUnavailable(404, "thumbnail_not_found", "Thumbnail paths end in .webp.")
        name = requested.removesuffix(".webp")
        try:
            relative = safe_relative_folder(name)
        except UnsafePath:
            raise ThumbnailUnavailable(
                400, "invalid_path", "The path must stay inside the media folder."
            ) from None
        if relative.suffix.lower() not in SOURCE_SUFFIXES:
            raise ThumbnailUnavailable(404, "thumbnail_not_found", "Not an image of GAZE's.")
        return relative

    def _source_file(self, relative: PurePosixPath) -> Path:
        """The source file, refused when missing or when a link leads out of the media
        folder."""
        root = Path(os.path.realpath(self.media_dir))
        source = Path(os.path.realpath(root / relative))
        if not source.is_relative_to(root) or not source.is_file():
            raise ThumbnailUnavailable(404, "image_not_found", f"No image at {relative}.")
        return source

    @staticmethod
    def _cached(target: Path, source_mtime_ns: int) -> bytes | None:
        """The cached thumbnail when it was made from this version of the source."""
        try:
            if target.stat().st_mtime_ns != source_mtime_ns:
                return None
            return target.read_bytes()
        except FileNotFoundError:
            return None


def _write_atomically(target: Path, data: bytes, mtime_ns: int) -> None:
    """Write `data` at `target` through a temporary file, stamped with the source's time."""
    target.parent.mkdir(parents=True, exist_ok=True)
    unique = f"{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
    temporary = target.with_name(f".tmp-{unique}")
    try:
        temporary.write_bytes(data)
        os.utime(temporary, ns=(mtime_ns, mtime_ns))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
