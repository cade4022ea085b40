"""Kinds of job sharing the queue: image generations, and others run by a runner of their
own that the process hands to its worker (the jobs layer knows nothing of what they do)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from gaze.db.models import JobRow
from gaze.engines.base import CancelToken

GENERATE = "generate"
"""An image generation: the job's `spec` is a GenerationSpec."""
DRAFT = "draft"
"""A library draft written by an LLM: the job's `spec` is the draft request."""
RETRYABLE_KINDS = frozenset({GENERATE})
"""Kinds a finished job of can be queued again as it was (a draft is asked for anew)."""


class KindRunner(Protocol):
    """Runs one claimed job of its kind to a finish (done, failed or cancelled) through the
    job store, as `worker_id`; `cancel` is set when someone asks to cancel the job."""

    def __call__(self, job: JobRow, cancel: CancelToken, worker_id: str) -> None: ...


KindRunners = Mapping[str, KindRunner]
"""The runner of each kind other than `generate`."""
