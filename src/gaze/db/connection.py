"""Database engines and sessions for SQLite (WAL) and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gaze.extras import require_module
from gaze.settings import Settings, load_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000

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
    return create_engine(
        url, pool_pre_ping=True, pool_size=limits.size, max_overflow=limits.overflow
    )


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
