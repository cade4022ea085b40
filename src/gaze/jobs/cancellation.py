"""The cancel tokens of the jobs running in this process, so a cancel reaches them at once.

A cancel asked in another process reaches a job through its `cancel_requested` flag, which
the runner polls (see gaze.jobs.runner.job_watch).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from gaze.engines.base import CancelToken


class LocalCancellations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, CancelToken] = {}

    @contextmanager
    def running(self, job_id: str, token: CancelToken) -> Iterator[CancelToken]:
        """Register `token` as the one that stops `job_id` while the block runs."""
        with self._lock:
            self._tokens[job_id] = token
        try:
            yield token
        finally:
            with self._lock:
                if self._tokens.get(job_id) is token:
                    del self._tokens[job_id]

    def trigger(self, job_id: str) -> bool:
        """Cancel the job if it runs in this process; True when it does."""
        with self._lock:
            token = self._tokens.get(job_id)
        if token is None:
            return False
        token.cancel()
        return True
