"""The PostgreSQL pool: sized from the worker threads and the API's request threads, and an
idle connection cut by the server is replaced before use instead of failing a request."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from devkit.services import scratch_postgres_database
from gaze.db.connection import (
    API_THREADS,
    PING_AFTER_IDLE_SECONDS,
    Database,
    PoolLimits,
    pool_limits,
)
from gaze.settings import load_settings


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_postgres_database() as url:
        yield url


def test_pool_limits_follow_the_workload() -> None:
    one = pool_limits(load_settings(workers=1))
    four = pool_limits(load_settings(workers=4))
    assert four.size == one.size + 6, "two connections for each more worker thread"
    assert one.size + one.overflow >= API_THREADS + 2, "every request thread can hold one"
    assert four.size + four.overflow == one.size + one.overflow + 6
    chosen = pool_limits(load_settings(database_pool_size=7, database_max_overflow=0))
    assert chosen == PoolLimits(size=7, overflow=0)


def test_the_engine_uses_the_limits(postgres_url: str) -> None:
    database = Database(postgres_url, PoolLimits(size=3, overflow=2))
    try:
        assert database.engine.pool.size() == 3  # type: ignore[attr-defined]
        assert database.engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    finally:
        database.dispose()


def test_an_idle_connection_cut_by_the_server_is_replaced(postgres_url: str) -> None:
    database = Database(postgres_url, PoolLimits(size=1, overflow=0))
    try:
        with database.engine.connect() as connection:
            first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = Database(postgres_url, PoolLimits(size=1, overflow=0))
        with admin.engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        admin.dispose()
        time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
        with database.engine.connect() as connection:
            second_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    finally:
        database.dispose()
    assert second_pid != first_pid
