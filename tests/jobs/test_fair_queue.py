"""The fair queue in the job store, on SQLite and PostgreSQL: round-robin turns between API
keys, high priority first, one atomic claim of the next job per token, queue positions in
the order jobs are claimed, and each key's images per day."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.db.models import JobRow, utcnow
from gaze.generation_spec import GenerationSpec
from gaze.jobs.eta import DurationStats, forecast_queue
from gaze.jobs.fair_queue import HIGH
from gaze.jobs.kinds import DRAFT
from gaze.jobs.quotas import QuotaExceeded
from gaze.jobs.store import JobStore, NewJob
from gaze.jobs.worker import Worker
from gaze.runtime import open_runtime
from gaze.settings import Settings

SPEC = GenerationSpec("a lighthouse", "blurry", "gaze-demo-sd15-tiny.safetensors", seed=3)
NO_HISTORY = DurationStats({}, {}, {}, overall=2.0)
WORKER = "test-worker"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        opened = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
        upgrade_to_head(opened.engine)
        yield opened
        opened.dispose()
        return
    with scratch_postgres_database() as url:
        opened = Database(url)
        upgrade_to_head(opened.engine)
        yield opened
        opened.dispose()


def queue(store: JobStore, key: str | None, count: int, **fields: object) -> list[str]:
    jobs = [
        NewJob(label=f"{key} {index}", spec=SPEC, output_folder="t", api_key_id=key, **fields)  # type: ignore[arg-type]
        for index in range(count)
    ]
    return [row.id for row in store.create(jobs)]


def claim_all(store: JobStore) -> list[str]:
    claimed: list[str] = []
    while (job := store.claim_next(WORKER)) is not None:
        claimed.append(job.id)
    return claimed


def owners(store: JobStore, job_ids: list[str]) -> list[str | None]:
    return [row.api_key_id for job_id in job_ids if (row := store.get(job_id)) is not None]


def test_a_later_key_alternates_with_a_burst_instead_of_waiting_behind_it(
    database: Database,
) -> None:
    store = JobStore(database)
    burst = queue(store, "key-a", 6)
    first = store.claim_next(WORKER)
    assert first is not None and first.id == burst[0], "alone in the queue: its jobs in order"
    later = queue(store, "key-b", 2)
    order = claim_all(store)
    assert owners(store, order) == ["key-a", "key-b", "key-a", "key-b", "key-a", "key-a", "key-a"]
    assert [job_id for job_id in order if job_id in later] == later
    assert [job_id for job_id in order if job_id in burst] == burst[1:], "each key's own order"
    assert order.index(later[-1]) < order.index(burst[-3]), "B ends before A's last ones"


def test_three_keys_and_the_web_ui_take_turns(database: Database) -> None:
    store = JobStore(database)
    queue(store, "key-a", 3)
    queue(store, None, 3)
    queue(store, "key-c", 3)
    order = owners(store, claim_all(store))
    assert order == ["key-a", None, "key-c"] * 3


def test_a_key_adding_jobs_keeps_its_place_behind_the_others(database: Database) -> None:
    store = JobStore(database)
    queue(store, "key-a", 2)
    queue(store, "key-b", 2)
    queue(store, "key-a", 2)
    assert owners(store, claim_all(store)) == ["key-a", "key-b", "key-a", "key-b", "key-a", "key-a"]


def test_high_priority_runs_before_every_normal_job(database: Database) -> None:
    store = JobStore(database)
    normal = queue(store, "key-a", 4)
    urgent = queue(store, "default", 2, priority=HIGH)
    order = claim_all(store)
    assert order == urgent + normal


def test_queue_positions_follow_the_claim_order(database: Database) -> None:
    store = JobStore(database)
    queue(store, "key-a", 5)
    queue(store, "key-b", 2)
    queue(store, None, 1, priority=HIGH)
    forecasts = forecast_queue(database, NO_HISTORY, parallel=1)
    by_position = sorted(forecasts, key=lambda job_id: forecasts[job_id].queue_position or 0)
    etas = [forecasts[job_id].eta_seconds for job_id in by_position]
    assert etas == sorted(etas), "later positions never finish sooner"
    for job_id in by_position:  # the position of one job alone agrees with the whole queue
        job = store.get(job_id)
        assert job is not None
        alone = forecast_queue(database, NO_HISTORY, parallel=1, up_to=job)
        assert alone[job_id] == forecasts[job_id]
        last = max(forecast.queue_position or 0 for forecast in alone.values())
        assert last == forecasts[job_id].queue_position
    assert claim_all(store) == by_position


def test_concurrent_workers_claim_each_job_once(database: Database) -> None:
    store = JobStore(database)
    queued = set(queue(store, "key-a", 12) + queue(store, "key-b", 12))
    start = threading.Barrier(6)
    claimed: list[str] = []
    lock = threading.Lock()

    def work(worker: str) -> None:
        start.wait()
        while (job := store.claim_next(worker)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(claimed) == sorted(queued), "every job claimed, none twice"
    assert store.claim_next(WORKER) is None, "a token that finds nothing pending does nothing"


def test_cancelled_and_recovered_jobs_keep_the_order_sound(database: Database) -> None:
    store = JobStore(database)
    jobs = queue(store, "key-a", 3)
    running = store.claim_next(WORKER)
    assert running is not None and running.id == jobs[0]
    store.cancel_pending([jobs[1]])
    recovered = store.recover_interrupted(utcnow() + timedelta(seconds=1))
    assert recovered.requeued == [jobs[0]]
    later = queue(store, "key-b", 1)
    order = claim_all(store)
    assert order == [jobs[0], *later, jobs[2]], "the interrupted job first, then turns alternate"


def test_the_daily_quota_counts_the_keys_images_of_the_last_24_hours(
    database: Database,
) -> None:
    store = JobStore(database)

    def ask(count: int, key: str = "bot", kind: str | None = None) -> list[str]:
        extra = {"kind": kind} if kind else {}
        jobs = [
            NewJob(label="q", spec=SPEC, output_folder="t", api_key_id=key, **extra)  # type: ignore[arg-type]
            for _ in range(count)
        ]
        return [row.id for row in store.create(jobs, daily_quota=5)]

    old = ask(3)
    with database.session() as session:  # the first two were queued 23 hours ago
        session.execute(
            update(JobRow)
            .where(JobRow.id.in_(old[:2]))
            .values(created_at=utcnow() - timedelta(hours=23))
        )
    ask(2)
    ask(1, key="other bot")
    ask(2, kind=DRAFT)
    with pytest.raises(QuotaExceeded) as refused:
        ask(2)
    assert (refused.value.limit, refused.value.used, refused.value.wanted) == (5, 5, 2)
    assert 3500 < refused.value.retry_after <= 3600, "when the two oldest are 24 hours old"
    with pytest.raises(QuotaExceeded) as refused:
        ask(1)
    assert 3500 < refused.value.retry_after <= 3600
    with database.session() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id.in_(old[:2]))
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    assert len(ask(2)) == 2, "aged out of the window"
    assert len(store.pending_ids()) == 3 + 2 + 1 + 2 + 2, "refused requests queued nothing"


def test_concurrent_requests_of_a_key_never_pass_its_quota(database: Database) -> None:
    store = JobStore(database)
    start = threading.Barrier(8)
    accepted: list[int] = []

    def submit() -> None:
        jobs = [NewJob(label="q", spec=SPEC, output_folder="t", api_key_id="bot")] * 2
        start.wait()
        with contextlib.suppress(QuotaExceeded):
            accepted.append(len(store.create(jobs, daily_quota=7)))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert accepted == [2, 2, 2]
    assert len(store.pending_ids()) == 6


def test_the_worker_sweep_puts_back_one_token_per_pending_job(tmp_path: Path) -> None:
    runtime = open_runtime(Settings(data_dir=tmp_path / "data"))
    try:
        worker = Worker(runtime, embedded=True)
        jobs = queue(runtime.jobs, "key-a", 3)  # made without tokens, as if the queue lost them
        assert runtime.queue.queued_count() == 0
        worker.recover()
        assert runtime.queue.queued_job_ids() == set(jobs)
        worker.recover()
        assert runtime.queue.queued_count() == 3, "counted, so no second token per job"
        runtime.queue.huey.flush()
        for _ in range(3):
            runtime.queue.enqueue("a token of a job cancelled long ago")
        worker.recover()
        assert runtime.queue.queued_count() == 3, "any token runs the next job: enough"
        runtime.jobs.cancel_pending(jobs[:1])
        runtime.queue.huey.flush()
        worker.recover()
        assert runtime.queue.queued_job_ids() == set(jobs[1:])
    finally:
        runtime.close()
