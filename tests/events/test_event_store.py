"""Job events in the database and their in-process fan-out, on SQLite and PostgreSQL:
what the web UI's own event stream uses (`gaze.events.follow_events`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import alembic_config, upgrade_to_head
from gaze.db.models import ImageRow, utcnow
from gaze.events.stream import follow_events
from gaze.events.types import JOB_DONE, JOB_PROGRESS, JOB_QUEUED, JOB_STARTED, JobEvent
from gaze.generation_spec import GenerationSpec
from gaze.jobs.store import JobStore, NewJob

SPEC = GenerationSpec("a lighthouse", "blurry", "gaze-demo-sd15-tiny.safetensors", seed=3)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
        upgrade_to_head(database.engine)
        yield database
        database.dispose()
        return
    with scratch_postgres_database() as url:
        database = Database(url)
        upgrade_to_head(database.engine)
        yield database
        database.dispose()


def new_job(batch: str = "b1") -> NewJob:
    return NewJob(label="test", spec=SPEC, output_folder="presets/test", batch_id=batch)


def run_job(store: JobStore, job_id: str) -> None:
    assert store.claim(job_id, "worker-1") is not None
    assert store.mark_started(job_id, "worker-1", "local")
    store.record_progress(job_id, 0.5)
    image = ImageRow(
        job_id=job_id,
        relative_path=f"presets/test/{job_id}.png",
        seed="3",
        width=64,
        height=64,
        backend="local",
        spec=SPEC.to_dict(),
        resolution={},
    )
    assert store.finish(
        job_id, "worker-1", {"image_url": "/x", "relative_path": "x", "seed": 3}, image
    )


async def collect(
    store: JobStore, count: int, *, after: int | None = None, poll: float = 0.05, **filters: str
) -> list[JobEvent]:
    events: list[JobEvent] = []
    async for event in follow_events(store.events, after=after, poll_seconds=poll, **filters):
        assert event is not None
        events.append(event)
        if len(events) == count:
            break
    return events


def test_migration_goes_down_and_up_again(database: Database) -> None:
    config = alembic_config(database.engine)
    command.downgrade(config, "0001")
    upgrade_to_head(database.engine)
    store = JobStore(database)
    store.create([new_job()])
    assert store.events.head() == 1


def test_every_change_is_an_event_in_order(database: Database) -> None:
    store = JobStore(database)

    async def scenario() -> list[JobEvent]:
        following = asyncio.create_task(collect(store, 4))
        await asyncio.sleep(0.1)  # subscribed
        [job] = await asyncio.to_thread(store.create, [new_job()])
        await asyncio.to_thread(run_job, store, job.id)
        return await asyncio.wait_for(following, 10)

    events = asyncio.run(scenario())
    assert [event.type for event in events] == [JOB_QUEUED, JOB_STARTED, JOB_PROGRESS, JOB_DONE]
    assert [event.id for event in events] == list(range(events[0].id, events[0].id + 4))
    assert events[1].job["backend"] == "local" and events[2].job["progress"] == 0.5
    assert events[3].job["result"]["seed"] == 3
    assert events[0].envelope()["job"]["status"] == "pending"


def test_writers_in_this_process_wake_subscribers_at_once(database: Database) -> None:
    store = JobStore(database)

    async def scenario() -> float:
        following = asyncio.create_task(collect(store, 1, poll=30))
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.to_thread(store.create, [new_job()])
        await asyncio.wait_for(following, 10)
        return loop.time() - started

    assert asyncio.run(scenario()) < 1.0, "no waiting for the 30 s poll"


def test_events_of_another_process_arrive_by_polling(database: Database) -> None:
    reader = JobStore(database)
    writer = JobStore(Database(database.url))  # its own engine: no in-process wake-up

    async def scenario() -> list[JobEvent]:
        following = asyncio.create_task(collect(reader, 3, poll=0.05, batch_id="b2"))
        await asyncio.sleep(0.1)
        await asyncio.to_thread(writer.create, [new_job("b1"), new_job("b2"), new_job("b2")])
        await asyncio.to_thread(writer.create, [new_job("b2")])
        return await asyncio.wait_for(following, 10)

    try:
        events = asyncio.run(scenario())
    finally:
        writer.database.dispose()
    assert [event.batch_id for event in events] == ["b2", "b2", "b2"]
    assert [event.id for event in events] == sorted(event.id for event in events)


def test_resuming_replays_exactly_what_was_missed(database: Database) -> None:
    store = JobStore(database)
    first = store.create([new_job()])[0]
    mark = store.events.head()
    jobs = store.create([new_job(), new_job()])
    run_job(store, jobs[0].id)
    missed = store.events.read_after(mark)
    assert len(missed) == 2 + 4 - 1  # two queued, then started, progress, done

    events = asyncio.run(collect(store, len(missed), after=mark))
    assert [event.id for event in events] == [event.id for event in missed]
    only_one = asyncio.run(collect(store, 3, after=0, job_id=jobs[0].id))
    assert [event.type for event in only_one] == [JOB_QUEUED, JOB_STARTED, JOB_PROGRESS]
    assert first.id not in {event.job_id for event in only_one}


def test_pruning_keeps_the_newest_and_says_what_is_lost(database: Database) -> None:
    store = JobStore(database)
    store.create([new_job(), new_job(), new_job()])
    head = store.events.head()
    assert store.events.covers(0)
    pruned = store.events.prune(utcnow() + timedelta(seconds=1))
    assert pruned == 2
    assert store.events.head() == head, "the newest event stays: ids never restart"
    assert not store.events.covers(0)
    assert store.events.covers(head - 1)
    assert not store.events.covers(head + 100), "an id from another database"
    store.create([new_job()])
    assert store.events.head() == head + 1


def test_many_subscribers_get_every_event(database: Database) -> None:
    store = JobStore(database)

    async def scenario() -> list[list[JobEvent]]:
        followers = [asyncio.create_task(collect(store, 6)) for _ in range(50)]
        await asyncio.sleep(0.2)

        def write() -> None:
            for _ in range(3):
                store.create([new_job(), new_job()])

        await asyncio.to_thread(write)
        return await asyncio.wait_for(asyncio.gather(*followers), 20)

    results = asyncio.run(scenario())
    ids = {tuple(event.id for event in events) for events in results}
    assert len(ids) == 1 and len(next(iter(ids))) == 6
