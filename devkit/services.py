"""The machine's PostgreSQL and Redis, started when they are not running, and scratch
databases on them for one test each."""

from __future__ import annotations

import glob
import itertools
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

POSTGRES_ADMIN_URL = os.environ.get(
    "GAZE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def _redis_databases() -> list[int]:
    """Redis database numbers 1-15, split between pytest-xdist workers so that two workers
    never flush each other's database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or workers <= 1:
        return list(range(1, 16))
    return list(range(1, 16))[int(worker[2:]) :: workers]


_REDIS_DATABASES = itertools.cycle(_redis_databases())


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_port(port: int, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not _port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start listening on port {port}")
        time.sleep(0.2)


def ensure_postgres() -> None:
    if _port_open(5432):
        return
    versions = sorted(os.path.basename(path) for path in glob.glob("/etc/postgresql/*"))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=True
    )
    _wait_for_port(5432, "PostgreSQL")


def ensure_redis() -> None:
    if _port_open(REDIS_PORT):
        return
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    _wait_for_port(REDIS_PORT, "Redis")


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A new empty PostgreSQL database, dropped afterwards; yields its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    ensure_postgres()
    name = f"gaze_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_redis_url() -> Iterator[str]:
    """A Redis database number of its own, flushed before and after."""
    import redis

    ensure_redis()
    index = next(_REDIS_DATABASES)
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{index}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
