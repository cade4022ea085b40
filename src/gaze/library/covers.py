"""Cover images: a path relative to the media folder, served under ``/static/uploads/``."""

from __future__ import annotations

from pathlib import Path

from gaze.library.fields import relative_path_problem
from gaze.media.storage import STATIC_URL_PREFIX

COVER_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def cover_url(cover: str | None) -> str | None:
    """The URL a cover is served at, or None without a cover."""
    return f"{STATIC_URL_PREFIX}/{cover}" if cover else None


def cover_problem(media_dir: Path, relative_path: str) -> str | None:
    """Why `relative_path` cannot be a cover (not a safe relative path, not an image, no such
    file in the media folder), or None when it can."""
    if not isinstance(relative_path, str):
        return "cover: must be a string, a path relative to the media folder"
    problem = relative_path_problem(relative_path)
    if problem:
        return f"cover: {problem}"
    if not relative_path.lower().endswith(COVER_SUFFIXES):
        return f"cover: must be an image ({', '.join(COVER_SUFFIXES)}), got {relative_path!r}"
    root = media_dir.resolve()
    path = (root / relative_path).resolve()
    if not path.is_relative_to(root):
        return f"cover: {relative_path!r} leads outside the media folder"
    if not path.is_file():
        return f"cover: no file {relative_path!r} in the media folder"
    return None
