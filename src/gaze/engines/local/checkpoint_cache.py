"""The checkpoints an engine keeps loaded between jobs: a small least-recently-used cache.

A checkpoint is known by its file identity (path, modification time, size), so a file replaced
on disk is loaded afresh. When a new checkpoint must be loaded and the cache is full, the least
recently used one is dropped (and its memory released) *before* loading, so that the peak is
``capacity`` checkpoints, never ``capacity + 1``. Each entry carries what belongs to that
pipeline: its original VAE and scheduler config, the external VAE in use, the LoRA files read for
it and the LoRA set fused into its weights.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaze.engines.local.lora_loading import LoraState
from gaze.engines.local.out_of_memory import release_memory
from gaze.engines.local.pipeline_loading import LoadedPipeline

FileIdentity = tuple[str, int, int]
CPU_CACHE_SIZE = 1
CUDA_CACHE_SIZE = 2


def file_identity(path: Path) -> FileIdentity:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def default_cache_size(device: str) -> int:
    """Checkpoints kept loaded by default: 1 on CPU (RAM is shared with everything), 2 on CUDA."""
    return CUDA_CACHE_SIZE if device.startswith("cuda") else CPU_CACHE_SIZE


@dataclass
class LoadedCheckpoint:
    """A loaded checkpoint and the per-pipeline state jobs change."""

    identity: FileIdentity
    loaded: LoadedPipeline
    base_scheduler_config: dict[str, Any]
    own_vae: Any
    vae_identity: FileIdentity | None = None
    loras: LoraState = field(default_factory=LoraState)


class CheckpointCache:
    """Up to ``capacity`` loaded checkpoints, least recently used dropped first."""

    def __init__(self, capacity: int, load: Callable[[Path], LoadedPipeline], device: str) -> None:
        if capacity < 1:
            raise ValueError(
                f"the checkpoint cache must hold at least 1 checkpoint, not {capacity}"
            )
        self.capacity = capacity
        self._load = load
        self._device = device
        self._entries: OrderedDict[FileIdentity, LoadedCheckpoint] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def checkpoints(self) -> list[Path]:
        """The loaded checkpoint files, least recently used first."""
        return [entry.loaded.checkpoint for entry in self._entries.values()]

    @property
    def most_recent(self) -> LoadedCheckpoint | None:
        return next(reversed(self._entries.values()), None)

    def get(self, checkpoint: Path) -> tuple[LoadedCheckpoint, bool]:
        """The loaded ``checkpoint`` (loading it if needed) and whether it was loaded now."""
        identity = file_identity(checkpoint)
        entry = self._entries.get(identity)
        if entry is not None:
            self._entries.move_to_end(identity)
            return entry, False
        stale = [key for key in self._entries if key[0] == identity[0]]  # the file changed
        for key in stale:
            del self._entries[key]
        dropped = bool(stale)
        while len(self._entries) >= self.capacity:
            self._entries.popitem(last=False)
            dropped = True
        if dropped:
            release_memory(self._device)
        loaded = self._load(checkpoint)
        entry = LoadedCheckpoint(
            identity=identity,
            loaded=loaded,
            base_scheduler_config=dict(loaded.pipeline.scheduler.config),
            own_vae=loaded.pipeline.vae,
        )
        self._entries[identity] = entry
        return entry, True

    def clear(self) -> None:
        """Drop every loaded checkpoint and release the memory."""
        self._entries.clear()
        release_memory(self._device)
