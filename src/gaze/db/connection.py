"""Database engines and sessions for SQLite (WAL) and PostgreSQL alike."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from gaze.extras import require_module
from gaze.settings import Settings, load_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle this long is pinged before use (a restart may have
cut it); busier ones are not, and the first disconnect seen empties the whole pool."""

API_THREADS = 40
"""Requests one API process runs on threads at once (anyio's default limit), each holding at
most one connection."""
HELPER_CONNECTIONS = 4
"""The event broker's reads, the sweeper, the webhook sender, the key registry's writes."""


@dataclass(frozen=True)
class PoolLimits:
    """Connections one process keeps open (`size`) and may open beyond them at busy moments
    (`overflow`, closed again when returned)."""

    size: int
    overflow: int


def pool_limits(settings: Settings) -> PoolLimits:
    """The pool for the workload: each worker thread holds a connection for its job's
    updates and another for its cancel watcher; the API's request threads and the helpers
    use the rest. GAZE_DATABASE_POOL_SIZE and GAZE_DATABASE_MAX_OVERFLOW override it."""
    workers = 2 * settings.worker_count
    size = settings.database_pool_size
    if size is None:
        size = workers + HELPER_CONNECTIONS + API_THREADS // 2
    overflow = settings.database_max_overflow
    if overflow is None:
        overflow = max(0, workers + HELPER_CONNECTIONS + API_THREADS - size)
    return PoolLimits(size=size, overflow=overflow)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_database_engine(url: str, pool: PoolLimits | None = None) -> Engine:
    """An engine for `url`; `pool` sizes PostgreSQL's pool (default: `pool_limits` of the
    environment's settings)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=20,
            max_overflow=20,
        )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    if parsed.get_backend_name() == "postgresql":
        driver = parsed.get_driver_name()
        require_module(
            {"psycopg": "psycopg", "psycopg2": "psycopg2"}.get(driver, driver),
            "scale",
            "GAZE_DATABASE_URL (PostgreSQL)",
        )
    limits = pool or pool_limits(load_settings())
    engine = create_engine(url, pool_size=limits.size, max_overflow=limits.overflow)
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_when_idle(engine))
    return engine


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _ping_when_idle(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """SQLAlchemy's pre-ping for connections idle a while: a round trip and about 200 us of
    CPU saved on every checkout of a busy pool (every poll of a job)."""

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping's SELECT opened a transaction
        except Exception as error:
            raise DisconnectionError(f"a pooled connection is gone: {error}") from error
        if not alive:
            raise DisconnectionError("a pooled connection is gone")

    return ping


class Database:
    """One engine and its session factory; passed to services, never a global."""

    def __init__(self, url: str, pool: PoolLimits | None = None) -> None:
        self.url = url
        self.engine = create_database_engine(url, pool)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._dispose_callbacks: list[Callable[[], None]] = []

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def on_dispose(self, callback: Callable[[], None]) -> None:
        """Call `callback()` when the database is disposed (a helper thread's connection)."""
        self._dispose_callbacks.append(callback)

    def dispose(self) -> None:
        callbacks, self._dispose_callbacks = self._dispose_callbacks, []
        for callback in callbacks:
            callback()
        self.engine.dispose()
