"""Live answers of GET /api/v1/job/<id> through the status cache: built from the database once,
served from memory until the job's next event, then built again with the new status."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gaze.jobs import service
from gaze.jobs.live_answers import LiveAnswer, live_answers_of
from gaze.runtime import Runtime, open_runtime
from gaze.settings import Settings
from tests.events.test_event_store import collect, new_job


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    runtime = open_runtime(Settings(data_dir=tmp_path / "data"))  # type: ignore[call-arg]
    yield runtime
    runtime.close()


def test_an_active_answer_is_served_from_memory_until_its_next_event(runtime: Runtime) -> None:
    [job] = runtime.jobs.create([new_job()])

    async def scenario() -> tuple[LiveAnswer, LiveAnswer | None, LiveAnswer | None, LiveAnswer]:
        answers = live_answers_of(runtime)
        built = await asyncio.to_thread(answers.build, runtime, job.id)
        cached = answers.cached(job.id)
        waiting = asyncio.create_task(collect(runtime.jobs, 1, job_id=job.id))
        await asyncio.sleep(0.05)
        assert await asyncio.to_thread(runtime.jobs.claim, job.id, "worker-1") is not None
        assert await asyncio.to_thread(runtime.jobs.mark_started, job.id, "worker-1", "local")
        await asyncio.wait_for(waiting, 30)
        after_event = answers.cached(job.id)
        rebuilt = await asyncio.to_thread(answers.build, runtime, job.id)
        answers.cache.stop()
        return built, cached, after_event, rebuilt

    built, cached, after_event, rebuilt = asyncio.run(scenario())
    assert json.loads(built.body)["status"] == "pending"
    assert json.loads(built.body)["queue_position"] == 1
    assert built.owner_key_id is None, "a job queued without a key (the web UI's)"
    assert cached == built
    assert after_event is None
    assert json.loads(rebuilt.body)["status"] == "processing"


def test_an_unknown_job_is_not_found(runtime: Runtime) -> None:
    async def scenario() -> None:
        answers = live_answers_of(runtime)
        with pytest.raises(service.JobNotFound):
            await asyncio.to_thread(answers.build, runtime, "no-such-job")
        assert answers.cached("no-such-job") is None
        answers.cache.stop()

    asyncio.run(scenario())
