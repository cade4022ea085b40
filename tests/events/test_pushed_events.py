"""Job events pushed between processes by PostgreSQL's LISTEN/NOTIFY: a follower that would
poll only every minute still hears another engine's events, also after its LISTEN connection
is cut; SQLite keeps polling."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.events.broker import FALLBACK_POLL_SECONDS, broker_for
from gaze.events.pg_notify import (
    CHANNEL,
    MAX_PAYLOAD_BYTES,
    notification_payload,
    parse_payload,
)
from gaze.events.types import JOB_QUEUED, JobEvent
from gaze.jobs.store import JobStore
from tests.events.test_event_store import collect, new_job

NEVER_POLL = 600.0
"""A poll interval longer than any test: events that arrive were pushed."""


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_postgres_database() as url:
        database = Database(url)
        upgrade_to_head(database.engine)
        database.dispose()
        yield url


@pytest.fixture
def reader_and_writer(postgres_url: str) -> Iterator[tuple[JobStore, JobStore]]:
    """Two job stores on their own engines, as two processes would have."""
    reader, writer = JobStore(Database(postgres_url)), JobStore(Database(postgres_url))
    yield reader, writer
    reader.database.dispose()
    writer.database.dispose()


def test_payload_names_the_newest_event_and_the_jobs_within_postgres_limit() -> None:
    assert parse_payload(notification_payload(42, ["a", "b", "a"])) == (42, ["a", "b"])
    many = [f"{index:036d}" for index in range(1000)]
    payload = notification_payload(7, many)
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES < 8000
    last_id, job_ids = parse_payload(payload)
    assert last_id == 7 and 0 < len(job_ids) < 1000 and job_ids == many[: len(job_ids)]
    assert parse_payload("something else") == (None, [])


def test_another_engines_events_arrive_by_notification(
    reader_and_writer: tuple[JobStore, JobStore],
) -> None:
    reader, writer = reader_and_writer
    assert reader.events.notifies and writer.events.notifies

    async def scenario() -> list[JobEvent]:
        following = asyncio.create_task(collect(reader, 3, poll=NEVER_POLL, batch_id="b2"))
        await asyncio.sleep(0)
        listener = reader.events.notification_listener
        assert listener is not None
        assert await asyncio.to_thread(listener.wait_connected, 30)
        assert reader.events.pushed
        broker = broker_for(reader.events, NEVER_POLL)
        assert broker.wait_seconds() == NEVER_POLL
        await asyncio.to_thread(writer.create, [new_job("b1"), new_job("b2"), new_job("b2")])
        await asyncio.to_thread(writer.create, [new_job("b2")])
        return await asyncio.wait_for(following, 60)

    events = asyncio.run(scenario())
    assert [(event.type, event.batch_id) for event in events] == [(JOB_QUEUED, "b2")] * 3
    listener = reader.events.notification_listener
    assert listener is not None and listener.notifications >= 1


def test_a_cut_listen_connection_reconnects_and_hears_again(
    reader_and_writer: tuple[JobStore, JobStore],
) -> None:
    reader, writer = reader_and_writer

    async def scenario() -> list[JobEvent]:
        first = asyncio.create_task(collect(reader, 1, poll=NEVER_POLL))
        await asyncio.sleep(0)
        listener = reader.events.notification_listener
        assert listener is not None
        assert await asyncio.to_thread(listener.wait_connected, 30)
        await asyncio.to_thread(writer.create, [new_job("before")])
        [before] = await asyncio.wait_for(first, 60)
        assert before.batch_id == "before"

        second = asyncio.create_task(collect(reader, 1, poll=NEVER_POLL, batch_id="after"))
        await asyncio.to_thread(_terminate_listeners, writer.database)
        while listener.connections < 2:  # reconnected (within a few seconds)
            await asyncio.sleep(0.05)
        await asyncio.to_thread(writer.create, [new_job("after")])
        return await asyncio.wait_for(second, 60)

    [after] = asyncio.run(scenario())
    assert after.batch_id == "after" and after.type == JOB_QUEUED


def _terminate_listeners(database: Database) -> None:
    """Cut every LISTEN connection to this database, as a network fault would."""
    with database.engine.connect() as connection:
        cut = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query = :listen"
            ),
            {"listen": f"LISTEN {CHANNEL}"},
        ).all()
    assert cut, "no LISTEN connection was found to cut"


def test_while_nobody_listens_the_broker_polls_quickly_again(
    reader_and_writer: tuple[JobStore, JobStore],
) -> None:
    reader, _ = reader_and_writer

    async def scenario() -> tuple[float, float]:
        broker = broker_for(reader.events, 0.1)
        subscription = broker.subscribe()
        listener = reader.events.notification_listener
        assert listener is not None
        assert await asyncio.to_thread(listener.wait_connected, 30)
        listening = broker.wait_seconds()
        listener.stop()
        stopped = broker.wait_seconds()
        broker.unsubscribe(subscription)
        return listening, stopped

    listening, stopped = asyncio.run(scenario())
    assert listening == FALLBACK_POLL_SECONDS
    assert stopped == 0.1


def test_sqlite_sends_no_notification_and_keeps_polling(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
    upgrade_to_head(database.engine)
    store = JobStore(database)

    async def scenario() -> list[JobEvent]:
        following = asyncio.create_task(collect(store, 1, poll=0.05))
        await asyncio.sleep(0.1)
        assert broker_for(store.events, 0.05).wait_seconds() == 0.05
        await asyncio.to_thread(store.create, [new_job()])
        return await asyncio.wait_for(following, 10)

    try:
        [event] = asyncio.run(scenario())
    finally:
        database.dispose()
    assert event.type == JOB_QUEUED
    assert not store.events.notifies and store.events.notification_listener is None
