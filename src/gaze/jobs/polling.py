"""The hot path of `GET /api/v1/job/<id>`: one primary-key lookup, finished answers from memory.

Clients poll this endpoint in loops. The API key is checked against the keys held in memory
(gaze.security.key_registry), never the database; a finished job's answer (which never changes
again) is kept as ready-made JSON bytes together with the key that owns the job, so a poll of
a finished job, ownership included, touches neither the database nor a thread.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from gaze.db.connection import Database
from gaze.db.models import JobRow
from gaze.jobs.job_json import job_json
from gaze.jobs.status import TERMINAL

FINISHED_CACHE_SIZE = 4096

POLL_COLUMNS = (
    JobRow.id,
    JobRow.label,
    JobRow.status,
    JobRow.error,
    JobRow.result,
    JobRow.progress,
    JobRow.preset_slug,
    JobRow.batch_id,
    JobRow.retry_of,
    JobRow.backend,
    JobRow.cancel_requested,
    JobRow.created_at,
    JobRow.started_at,
    JobRow.finished_at,
)
_POLL_QUERY_COLUMNS = (*POLL_COLUMNS, JobRow.api_key_id)


@dataclass(frozen=True, slots=True)
class FinishedAnswer:
    owner_key_id: str | None
    """The key that made the job (None: the web UI), for `Principal.may_see_job_of`."""
    body: bytes
    """The answer, ready to send (a finished job never changes again)."""


@dataclass(frozen=True, slots=True)
class PolledJob:
    found: bool
    owner_key_id: str | None = None
    finished_json: bytes | None = None
    """The answer, ready to send, when the job is finished."""
    active: bool = False
    """The job is pending or processing: its answer needs a queue forecast."""


NOT_FOUND = PolledJob(found=False)


class JobPoller:
    def __init__(self, database: Database, cache_size: int = FINISHED_CACHE_SIZE) -> None:
        self.database = database
        self.inline = database.engine.dialect.name == "sqlite"
        """A local SQLite lookup takes microseconds: callers may run `poll` on the event loop."""
        self._query = select(*_POLL_QUERY_COLUMNS)
        self._cache: OrderedDict[str, FinishedAnswer] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def close(self) -> None:
        """Nothing to release (kept for the store's shutdown)."""

    def finished(self, job_id: str) -> FinishedAnswer | None:
        """The cached answer of a finished job (any thread; no database)."""
        with self._lock:
            answer = self._cache.get(job_id)
            if answer is not None:
                self._cache.move_to_end(job_id)
            return answer

    def _remember(self, job_id: str, answer: FinishedAnswer) -> None:
        with self._lock:
            self._cache[job_id] = answer
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def forget(self, job_id: str) -> None:
        """Drop a cached answer (for a job that is deleted)."""
        with self._lock:
            self._cache.pop(job_id, None)

    def poll_on_loop(self, job_id: str) -> PolledJob:
        """`poll`, for the event loop's thread when `inline` (same answers)."""
        return self.poll(job_id)

    def poll(self, job_id: str) -> PolledJob:
        cached = self.finished(job_id)
        if cached is not None:
            return PolledJob(True, cached.owner_key_id, cached.body)
        with self.database.engine.connect() as connection:
            row = connection.execute(self._query.where(JobRow.id == job_id)).one_or_none()
        if row is None:
            return NOT_FOUND
        if row.status in TERMINAL:
            answer = FinishedAnswer(row.api_key_id, finished_answer(row))
            self._remember(job_id, answer)
            return PolledJob(True, answer.owner_key_id, answer.body)
        return PolledJob(True, row.api_key_id, active=True)


def finished_answer(row: Row[Any]) -> bytes:
    return json.dumps(job_json(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
