"""The huey queue that carries "run the next job" tokens from the API to the workers.

Each new job puts one token (named by the job's id) on the queue; the worker that takes a token
runs the first pending job in the fair order (gaze.jobs.fair_queue), which need not be the
job the token names. Spare tokens (of jobs cancelled while pending) find nothing and end."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer, Worker
from sqlalchemy.engine import make_url

from gaze.extras import require_module

RUN_JOB_TASK = "gaze.run_job"
POLL_INITIAL_DELAY = 0.01
POLL_BACKOFF = 1.5
POLL_MAX_DELAY = 0.05
"""Idle workers poll at most every 50 ms, so a new job is picked up in tens of milliseconds."""

log = logging.getLogger(__name__)


def create_huey(queue_url: str) -> Huey:
    if queue_url.startswith(("redis://", "rediss://", "unix://")):
        require_module("redis", "scale", "GAZE_QUEUE_URL (Redis)")
        return RedisHuey(name="gaze", url=queue_url, blocking=True, read_timeout=1)
    parsed = make_url(queue_url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ValueError(f"GAZE_QUEUE_URL must be sqlite:///path or redis://…, not {queue_url!r}")
    path = Path(parsed.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name="gaze", filename=str(path), strict_fifo=True, timeout=30)


class JobQueue:
    """Enqueues job ids; `bind` attaches the function that runs them in a worker process."""

    def __init__(self, queue_url: str) -> None:
        self.huey = create_huey(queue_url)
        self._runner: Callable[[str], None] | None = None
        self._task: TaskWrapper = self.huey.task(name=RUN_JOB_TASK)(self._run)
        self.enqueued = threading.Event()
        """Set on every enqueue, so a worker in this process starts at once instead of polling."""

    def _run(self, job_id: str) -> None:
        if self._runner is None:
            raise RuntimeError("this process has no worker bound to the queue")
        self._runner(job_id)

    def bind(self, runner: Callable[[str], None]) -> None:
        self._runner = runner

    def enqueue(self, job_id: str) -> None:
        self._task(job_id)
        self.enqueued.set()

    def queued_count(self) -> int:
        """Tokens waiting on the queue."""
        return int(self.huey.pending_count())

    def queued_job_ids(self) -> set[str]:
        ids: set[str] = set()
        for task in self.huey.pending():
            args: Any = getattr(task, "args", ())
            if args:
                ids.add(str(args[0]))
        return ids

    def consumer(self, workers: int, *, install_signal_handlers: bool) -> Consumer:
        options = {
            "workers": workers,
            "worker_type": "thread",
            "periodic": False,
            "initial_delay": POLL_INITIAL_DELAY,
            "backoff": POLL_BACKOFF,
            "max_delay": POLL_MAX_DELAY,
            "check_worker_health": False,
        }
        worker_class = type("WakeableWorker", (_WakeableWorker,), {"wake": self.enqueued})
        base = Consumer if install_signal_handlers else _EmbeddedConsumer
        consumer_class = type("GazeConsumer", (base,), {"worker_class": worker_class})
        return consumer_class(self.huey, **options)


class _WakeableWorker(Worker):
    """A huey worker whose idle wait ends early when this process enqueues a job."""

    wake: threading.Event
    delay: float

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        if self.wake.wait(self.delay):
            self.wake.clear()
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class _EmbeddedConsumer(Consumer):
    """A consumer inside `gaze serve`: the web server owns the process's signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None
