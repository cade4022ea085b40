"""The per-process cache of active job answers: dropped by the events the broker delivers,
also those of another engine (another process), and never filled from reads older than an
event that arrived meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.events.status_cache import CachedAnswer, JobStatusCache, status_cache_of
from gaze.events.types import JOB_PROGRESS, JOB_STARTED, JobEvent
from gaze.jobs.store import JobStore
from tests.events.test_event_store import collect, new_job


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gaze.db'}"
        database = Database(url)
        upgrade_to_head(database.engine)
        database.dispose()
        yield url
        return
    with scratch_postgres_database() as url:
        database = Database(url)
        upgrade_to_head(database.engine)
        database.dispose()
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[JobStore]:
    store = JobStore(Database(database_url))
    yield store
    store.database.dispose()


async def _delivered(store: JobStore, count: int, job_id: str) -> list[JobEvent]:
    """Wait until the broker of this loop has delivered `count` more events of `job_id`."""
    return await collect(store, count, job_id=job_id)


def test_an_answer_is_served_until_an_event_of_its_job_arrives(store: JobStore) -> None:
    first, second = store.create([new_job(), new_job()])

    async def scenario() -> tuple[bytes | None, bytes | None, bytes | None, bytes | None]:
        cache = status_cache_of(store.events)
        assert cache is status_cache_of(store.events)
        assert cache.answer(first.id) is None
        cache.follow()
        for job in (first, second):
            assert cache.keep(job.id, cache.ticket(job.id), f"pending {job.id}".encode())
        kept = cache.answer(first.id)
        served = kept.body if kept is not None else None
        waiting = asyncio.create_task(_delivered(store, 1, first.id))
        await asyncio.sleep(0.05)
        assert await asyncio.to_thread(store.claim, first.id, "worker-1") is not None
        assert await asyncio.to_thread(store.mark_started, first.id, "worker-1", "local")
        [started] = await asyncio.wait_for(waiting, 30)
        assert started.type == JOB_STARTED
        after_start = _body(cache.answer(first.id)), _body(cache.answer(second.id))
        assert cache.keep(first.id, cache.ticket(first.id), b"processing")
        assert cache.keep(second.id, cache.ticket(second.id), b"pending, first in line")
        waiting = asyncio.create_task(_delivered(store, 1, first.id))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(store.record_progress, first.id, 0.5)
        [progress] = await asyncio.wait_for(waiting, 30)
        assert progress.type == JOB_PROGRESS
        cache.stop()
        return served, *after_start, _body(cache.answer(second.id))

    served, first_after_start, second_after_start, second_after_progress = asyncio.run(scenario())
    assert served == f"pending {first.id}".encode()
    assert first_after_start is None, "the job's own event drops its answer"
    assert second_after_start is None, "a status change moves the queue: every answer goes"
    assert second_after_progress is None, "a stopped cache serves nothing"


def test_progress_of_one_job_keeps_the_answers_of_others(store: JobStore) -> None:
    first, second = store.create([new_job(), new_job()])
    assert store.claim(first.id, "worker-1") is not None
    assert store.mark_started(first.id, "worker-1", "local")

    async def scenario() -> tuple[bytes | None, bytes | None]:
        cache = JobStatusCache(store.events)
        cache.follow()
        assert cache.keep(first.id, cache.ticket(first.id), b"10%")
        assert cache.keep(second.id, cache.ticket(second.id), b"pending")
        waiting = asyncio.create_task(_delivered(store, 1, first.id))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(store.record_progress, first.id, 0.5)
        await asyncio.wait_for(waiting, 30)
        answers = _body(cache.answer(first.id)), _body(cache.answer(second.id))
        cache.stop()
        return answers

    assert asyncio.run(scenario()) == (None, b"pending")


def test_an_answer_read_before_an_event_is_not_kept_after_it(store: JobStore) -> None:
    [job] = store.create([new_job()])

    async def scenario() -> tuple[bool, bytes | None, bool]:
        cache = JobStatusCache(store.events)
        cache.follow()
        ticket = cache.ticket(job.id)  # a request begins reading the job: pending
        waiting = asyncio.create_task(_delivered(store, 1, job.id))
        await asyncio.sleep(0.05)
        assert await asyncio.to_thread(store.claim, job.id, "worker-1") is not None
        assert await asyncio.to_thread(store.mark_started, job.id, "worker-1", "local")
        await asyncio.wait_for(waiting, 30)
        kept_stale = cache.keep(job.id, ticket, b"pending")
        served = _body(cache.answer(job.id))
        kept_fresh = cache.keep(job.id, cache.ticket(job.id), b"processing")
        cache.stop()
        return kept_stale, served, kept_fresh

    assert asyncio.run(scenario()) == (False, None, True)


def test_events_of_another_engine_drop_answers(database_url: str, store: JobStore) -> None:
    writer = JobStore(Database(database_url))
    [job] = writer.create([new_job()])

    async def scenario() -> tuple[bytes | None, bytes | None]:
        cache = JobStatusCache(store.events)
        cache.follow()
        assert cache.keep(job.id, cache.ticket(job.id), b"pending")
        before = _body(cache.answer(job.id))
        waiting = asyncio.create_task(_delivered(store, 1, job.id))
        await asyncio.sleep(0.05)
        assert await asyncio.to_thread(writer.claim, job.id, "worker-1") is not None
        assert await asyncio.to_thread(writer.mark_started, job.id, "worker-1", "local")
        await asyncio.wait_for(waiting, 60)
        after = _body(cache.answer(job.id))
        cache.stop()
        return before, after

    try:
        assert asyncio.run(scenario()) == (b"pending", None)
    finally:
        writer.database.dispose()


def test_answers_expire_and_nothing_is_kept_when_events_may_be_missed(store: JobStore) -> None:
    now = [100.0]
    [job] = store.create([new_job()])

    async def scenario() -> list[object]:
        cache = JobStatusCache(store.events, max_age_seconds=1.0, clock=lambda: now[0])
        seen: list[object] = [cache.keep(job.id, cache.ticket(job.id), b"x")]  # not following
        cache.follow()
        seen.append(cache.keep(job.id, cache.ticket(job.id), b"x", "key-1"))
        now[0] += 0.5
        seen.append(cache.answer(job.id))
        now[0] += 0.6
        seen.append(cache.answer(job.id))  # older than a second: its ETA has moved
        cache.keep(job.id, cache.ticket(job.id), b"y")
        cache.lost()  # the broker could not read events
        seen.append(cache.answer(job.id))
        cache.keep(job.id, cache.ticket(job.id), b"z")
        cache.forget(job.id)
        seen.append(cache.answer(job.id))
        cache.stop()
        return seen

    assert asyncio.run(scenario()) == [
        False,
        True,
        CachedAnswer(b"x", "key-1", 100.0),
        None,
        None,
        None,
    ]


def _body(answer: CachedAnswer | None) -> bytes | None:
    return None if answer is None else answer.body
