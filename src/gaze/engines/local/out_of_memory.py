"""Recognising an out-of-memory failure, whatever layer raised it, and freeing memory after one.

Running out of memory shows up as ``torch.OutOfMemoryError`` (CUDA), as a plain ``RuntimeError``
from torch's CPU allocator ("DefaultCPUAllocator: can't allocate memory") or from other CUDA
kernels ("CUDA out of memory", "CUBLAS_STATUS_ALLOC_FAILED"), or as Python's ``MemoryError``. It
may also arrive wrapped in an :class:`~gaze.engines.base.EngineError` by the loading code.
"""

from __future__ import annotations

import gc

import torch

from gaze.engines.base import EngineError

_MESSAGES = (
    "out of memory",
    "can't allocate memory",
    "cannot allocate memory",
    "alloc_failed",
)


class EngineOutOfMemory(EngineError):
    """The job needed more memory than the device has; the engine dropped its models."""


def out_of_memory_cause(error: BaseException) -> BaseException | None:
    """The out-of-memory failure that ``error`` is or was raised from, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError | torch.OutOfMemoryError):
            return current
        if isinstance(current, RuntimeError) and any(
            message in str(current).lower() for message in _MESSAGES
        ):
            return current
        current = current.__cause__ or current.__context__
    return None


def release_memory(device: str) -> None:
    """Collect garbage and give cached device memory back (CUDA's caching allocator)."""
    gc.collect()
    if device.startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
