"""The hot path of `GET /api/v1/job/<id>`: the API key's hash and the job in one round trip.

Clients poll this endpoint in loops, so it is kept to one pooled connection and two
primary-key lookups, with the answer for finished jobs (which never change again) cached
as ready-made JSON bytes.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from gaze.db.connection import Database
from gaze.db.models import JobRow, SettingRow
from gaze.jobs.job_json import job_json
from gaze.jobs.status import TERMINAL
from gaze.security.api_keys import API_KEY_HASH

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


@dataclass(frozen=True)
class PolledJob:
    key_hash: str | None
    """The stored API key hash, read in the same round trip."""
    finished_json: bytes | None
    """The answer, ready to send, when the job is finished (it never changes again)."""
    active: bool
    """The job is pending or processing: its answer needs a queue forecast."""
    found: bool


class JobPoller:
    def __init__(self, database: Database, cache_size: int = FINISHED_CACHE_SIZE) -> None:
        self.database = database
        self.inline = database.engine.dialect.name == "sqlite"
        """A local SQLite lookup takes microseconds: callers may run it on the event loop,
        and then only there (the event loop's thread keeps its own connection)."""
        self._key_query = select(SettingRow.value).where(SettingRow.key == API_KEY_HASH)
        self._key_sql = f"SELECT value FROM {SettingRow.__tablename__} WHERE key = ?"
        self._loop_connection: Any = None
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _key_hash_inline(self) -> str | None:
        """The stored key hash on the event loop's own SQLite connection (no pool, no SQL
        compilation: this runs on every poll). Plain SELECTs open no transaction, so each
        sees the latest commit: a regenerated key counts at once."""
        if self._loop_connection is None:
            self._loop_connection = self.database.engine.raw_connection()
        row = self._loop_connection.execute(self._key_sql, (API_KEY_HASH,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None

    def _cached(self, job_id: str) -> bytes | None:
        with self._lock:
            answer = self._cache.get(job_id)
            if answer is not None:
                self._cache.move_to_end(job_id)
            return answer

    def _remember(self, job_id: str, answer: bytes) -> None:
        with self._lock:
            self._cache[job_id] = answer
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def forget(self, job_id: str) -> None:
        """Drop a cached answer (for a job that is deleted)."""
        with self._lock:
            self._cache.pop(job_id, None)

    def poll_on_loop(self, job_id: str) -> PolledJob:
        """`poll` for the event loop's thread, when `inline`."""
        cached = self._cached(job_id)
        if cached is not None:
            return PolledJob(self._key_hash_inline(), cached, active=False, found=True)
        return self.poll(job_id)

    def poll(self, job_id: str) -> PolledJob:
        cached = self._cached(job_id)
        with self.database.engine.connect() as connection:
            key_hash = connection.execute(self._key_query).scalar_one_or_none()
            if cached is not None:
                return PolledJob(key_hash, cached, active=False, found=True)
            row = connection.execute(select(*POLL_COLUMNS).where(JobRow.id == job_id)).one_or_none()
        if row is None:
            return PolledJob(key_hash, None, active=False, found=False)
        if row.status in TERMINAL:
            answer = finished_answer(row)
            self._remember(job_id, answer)
            return PolledJob(key_hash, answer, active=False, found=True)
        return PolledJob(key_hash, None, active=True, found=True)


def finished_answer(row: Row[Any]) -> bytes:
    return json.dumps(job_json(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
