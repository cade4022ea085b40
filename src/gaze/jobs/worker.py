"""A worker: a huey consumer running jobs, plus the sweep that rescues interrupted jobs."""

from __future__ import annotations

import logging
import os
import socket
import threading

from huey.consumer import Consumer

from gaze.jobs.context import JobContext
from gaze.jobs.housekeeping import prune_old_records
from gaze.jobs.runner import JobRunner
from gaze.jobs.store import RecoveredJobs, stale_cutoff
from gaze.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)


def is_dead_local_worker(worker_id: str | None) -> bool:
    """A worker id names host:pid:nonce; on this host, a missing pid means it died."""
    if not worker_id:
        return True
    parts = worker_id.split(":")
    if len(parts) < 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Worker:
    def __init__(self, context: JobContext, *, embedded: bool, threads: int | None = None) -> None:
        self.context = context
        self.threads = threads or context.settings.worker_count
        self.runner = JobRunner(
            context.jobs,
            context.backends,
            context.settings.resolved_media_dir,
            context.worker_id,
            context.job_kind_runners(),
        )
        context.queue.bind(self.runner)
        self.consumer: Consumer = context.queue.consumer(
            self.threads, install_signal_handlers=not embedded
        )
        settings = context.settings
        self.webhooks = WebhookSender(
            context.database,
            context.jobs.events,
            allow_private=settings.webhook_allow_private,
            max_attempts=settings.webhook_max_attempts,
            retry_seconds=settings.webhook_retry_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
        )
        self._stop = threading.Event()
        self._sweeper = threading.Thread(
            target=self._sweep_forever, name="job-sweeper", daemon=True
        )

    def recover(self) -> RecoveredJobs:
        """Requeue jobs whose worker died, and a token for any pending job without one."""
        store = self.context.jobs
        dead = frozenset(
            worker
            for worker in store.running_workers().values()
            if worker and is_dead_local_worker(worker)
        )
        recovered = store.recover_interrupted(
            stale_cutoff(self.context.settings.job_stale_seconds), dead
        )
        for job_id in recovered.requeued:
            log.warning("job %s was interrupted by a dead worker; queued again", job_id)
        for job_id in recovered.failed:
            log.warning("job %s was interrupted too often; marked failed", job_id)
        for job_id in recovered.cancelled:
            log.info("job %s was interrupted after a cancel; marked cancelled", job_id)
        self.top_up_tokens(store.pending_ids())
        return recovered

    def top_up_tokens(self, pending: list[str]) -> None:
        """Put tokens on the queue until there is one per pending job. A token runs the next
        job in the fair order, not the job it names, so tokens are counted, not matched (a
        token taken by a worker that has not claimed yet may add one more: it finds nothing
        pending, or runs a later job sooner)."""
        queued = self.context.queue.queued_job_ids()
        missing = len(pending) - self.context.queue.queued_count()
        for job_id in [job_id for job_id in pending if job_id not in queued][: max(0, missing)]:
            self.context.queue.enqueue(job_id)

    def _sweep_forever(self) -> None:
        every = self.context.settings.sweep_seconds
        while not self._stop.wait(every):
            try:
                self.recover()
                prune_old_records(self.context)
            except Exception:
                log.warning("job sweep failed; retrying in %ss", every, exc_info=True)

    def start(self) -> None:
        self.recover()
        self.consumer.start()
        self._sweeper.start()
        self.webhooks.start()

    def run_forever(self) -> None:
        """Standalone `gaze worker`: huey's own loop, stopped by SIGINT/SIGTERM."""
        self.recover()
        self._sweeper.start()
        self.webhooks.start()
        try:
            self.consumer.run()
        finally:
            self._stop.set()
            self.webhooks.stop()

    def stop(self) -> None:
        self._stop.set()
        self.consumer.stop(graceful=False)
        self.webhooks.stop()
