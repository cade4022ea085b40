"""The LoRA listing's metadata: each embedded-engine LoRA file's header facts, cached.

Only files the embedded (``local``) engine has are read; a LoRA that only ComfyUI backends
list has ``metadata: null``. Headers are cached by (path, modification time, size).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from gaze.engines.registry import LOCAL_BACKEND
from gaze.library.lora_metadata import LoraMetadata, lora_metadata

_CacheKey = tuple[str, int, int]


class LoraMetadataCache:
    """Header metadata of LoRA files, read once per (path, mtime, size)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[_CacheKey, LoraMetadata | None]] = {}
        self._lock = threading.Lock()

    def metadata(self, path: Path) -> LoraMetadata | None:
        try:
            status = path.stat()
        except OSError:
            return None
        key = (str(path), status.st_mtime_ns, status.st_size)
        with self._lock:
            cached = self._entries.get(key[0])
        if cached is not None and cached[0] == key:
            return cached[1]
        found = lora_metadata(path)
        with self._lock:
            self._entries[key[0]] = (key, found)
        return found


LORA_METADATA_CACHE = LoraMetadataCache()


def local_lora_file(loras_dir: Path, relative: str) -> Path | None:
    """``relative`` inside ``loras_dir``, or None if it would lead outside it."""
    root = loras_dir.resolve()
    candidate = (root / relative).resolve()
    return candidate if candidate.is_relative_to(root) else None


def with_metadata(
    entries: list[dict[str, Any]],
    loras_dir: Path,
    cache: LoraMetadataCache = LORA_METADATA_CACHE,
) -> list[dict[str, Any]]:
    """The listing's entries, each with ``metadata`` (an object, or null when unknown)."""
    described = []
    for entry in entries:
        metadata = None
        if LOCAL_BACKEND in entry["backends"]:
            path = local_lora_file(loras_dir, entry["path"])
            found = cache.metadata(path) if path is not None else None
            metadata = found.as_json() if found is not None else None
        described.append({**entry, "metadata": metadata})
    return described
