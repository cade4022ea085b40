"""After PostgreSQL restarts, the LISTEN thread connects again and other engines' events are
pushed again (the broker would only poll every ten minutes here)."""

from __future__ import annotations

import asyncio
import glob
import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from devkit.services import ensure_postgres, scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.events.types import JOB_QUEUED, JobEvent
from gaze.jobs.store import JobStore
from tests.events.test_event_store import collect, new_job

NEVER_POLL = 600.0


@pytest.fixture
def two_stores() -> Iterator[tuple[JobStore, JobStore]]:
    with scratch_postgres_database() as url:
        migrating = Database(url)
        upgrade_to_head(migrating.engine)
        migrating.dispose()
        reader, writer = JobStore(Database(url)), JobStore(Database(url))
        yield reader, writer
        reader.database.dispose()
        writer.database.dispose()


def _restart_postgres() -> None:
    version = sorted(os.path.basename(path) for path in glob.glob("/etc/postgresql/*"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"],
        check=True,
    )
    ensure_postgres()


def _create_when_reachable(store: JobStore, batch: str) -> None:
    """The writer's pool holds connections from before the restart: retry until it heals."""
    for _ in range(50):
        try:
            store.create([new_job(batch)])
            return
        except Exception:
            time.sleep(0.2)
    store.create([new_job(batch)])


def test_listen_reconnects_after_a_postgres_restart(two_stores: tuple[JobStore, JobStore]) -> None:
    reader, writer = two_stores

    async def scenario() -> tuple[JobEvent, int]:
        following = asyncio.create_task(collect(reader, 1, poll=NEVER_POLL, batch_id="after"))
        await asyncio.sleep(0)
        listener = reader.events.notification_listener
        assert listener is not None
        assert await asyncio.to_thread(listener.wait_connected, 30)
        await asyncio.to_thread(_restart_postgres)
        while listener.connections < 2:
            await asyncio.sleep(0.1)
        await asyncio.to_thread(_create_when_reachable, writer, "after")
        [event] = await asyncio.wait_for(following, 120)
        return event, listener.connections

    event, connections = asyncio.run(scenario())
    assert event.batch_id == "after" and event.type == JOB_QUEUED
    assert connections >= 2
