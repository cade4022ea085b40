"""Running one job in a worker: claim it, generate on a backend, save the PNG, record it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gaze.db.models import ImageRow, JobRow
from gaze.engines.base import (
    CancelToken,
    Engine,
    EngineError,
    GenerationCancelled,
    GenerationResult,
    ProgressCallback,
)
from gaze.engines.pool import BackendPool
from gaze.generation_spec import GenerationSpec
from gaze.jobs.kinds import GENERATE, KindRunners
from gaze.jobs.store import JobStore
from gaze.media.png_metadata import png_info
from gaze.media.storage import STATIC_URL_PREFIX, delete_image, encode_png, save_png

HEARTBEAT_SECONDS = 5.0
PROGRESS_WRITE_INTERVAL = 0.1
CANCEL_POLL_SECONDS = 0.1
"""A cancel asked from another process is noticed within this, even without progress."""

log = logging.getLogger(__name__)


@contextmanager
def job_watch(
    store: JobStore,
    job_id: str,
    cancel: CancelToken,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    poll_seconds: float = CANCEL_POLL_SECONDS,
) -> Iterator[None]:
    """While the block runs: keep the job's heartbeat fresh (so sweeps know its worker is
    alive) and poll its cancel flag, setting `cancel` when someone asked."""
    stop = threading.Event()

    def watch() -> None:
        next_beat = time.monotonic() + heartbeat_seconds
        while not stop.wait(poll_seconds):
            try:
                if not cancel.cancelled and store.cancel_flag(job_id):
                    cancel.cancel()
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + heartbeat_seconds
                    store.heartbeat(job_id)
            except Exception:  # the store may be briefly unreachable; the next tick retries
                log.warning("watching job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=watch, name=f"job-watch-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class JobRunner:
    def __init__(
        self,
        store: JobStore,
        backends: BackendPool,
        media_dir: Path,
        worker_id: str,
        other_kinds: KindRunners | None = None,
    ) -> None:
        self.store = store
        self.backends = backends
        self.media_dir = media_dir
        self.worker_id = worker_id
        self.other_kinds = dict(other_kinds or {})

    def __call__(self, token: str) -> None:
        """Run the next pending job in the fair order (gaze.jobs.fair_queue): a queue message
        is a token, whichever job's id it carries; none pending, it does nothing."""
        job = self.store.claim_next(self.worker_id)
        if job is None:
            return
        job_id = job.id
        cancel = CancelToken()
        with (
            self.store.cancellations.running(job_id, cancel),
            job_watch(self.store, job_id, cancel),
        ):
            if self.store.cancel_flag(job_id):
                cancel.cancel()
            if job.kind == GENERATE:
                self._run(job, GenerationSpec.from_dict(job.spec), cancel)
            else:
                self._run_other_kind(job, cancel)

    def _run_other_kind(self, job: JobRow, cancel: CancelToken) -> None:
        run = self.other_kinds.get(job.kind)
        if run is None:
            self.store.fail(job.id, self.worker_id, f"This worker cannot run {job.kind!r} jobs.")
            return
        try:
            run(job, cancel, self.worker_id)
        except Exception as error:
            log.exception("%s job %s failed unexpectedly", job.kind, job.id)
            self.store.fail(job.id, self.worker_id, f"Internal {job.kind} error: {error}")

    def _run(
        self,
        job: JobRow,
        spec: GenerationSpec,
        cancel: CancelToken,
    ) -> None:
        job_id = job.id

        def on_lease(engine: Engine) -> None:
            self.store.mark_started(job_id, self.worker_id, engine.name)

        try:
            result = self.backends.run_with_failover(
                spec, self._progress_recorder(job_id, cancel), cancel, on_lease=on_lease
            )
        except GenerationCancelled:
            self.store.cancel_running(job_id, self.worker_id)
            return
        except EngineError as error:
            if cancel.cancelled:
                self.store.cancel_running(job_id, self.worker_id)
            else:
                self.store.fail(job_id, self.worker_id, str(error))
            return
        except Exception as error:
            log.exception("job %s failed unexpectedly", job_id)
            self.store.fail(job_id, self.worker_id, f"Internal generation error: {error}")
            return
        if cancel.cancelled:  # asked while the image was being finished: honour it
            self.store.cancel_running(job_id, self.worker_id)
            return
        self._save(job, spec, result)

    def _progress_recorder(self, job_id: str, cancel: CancelToken) -> ProgressCallback:
        last_write = 0.0

        def record(fraction: float) -> None:
            nonlocal last_write
            now = time.monotonic()
            if fraction < 1.0 and now - last_write < PROGRESS_WRITE_INTERVAL:
                return
            last_write = now
            if self.store.record_progress(job_id, fraction).cancel_requested:
                cancel.cancel()

        return record

    def _save(self, job: JobRow, spec: GenerationSpec, result: GenerationResult) -> None:
        metadata: dict[str, Any] = {
            "job_id": job.id,
            "preset": {"id": job.preset_id, "slug": job.preset_slug},
            "resolution": job.resolution,
            "backend": result.backend,
        }
        try:
            saved = save_png(
                self.media_dir,
                job.output_folder,
                encode_png(result.image, png_info(spec, metadata)),
            )
        except OSError as error:
            self.store.fail(
                job.id, self.worker_id, f"Could not save the image: {error.strerror or error}"
            )
            return
        image = ImageRow(
            job_id=job.id,
            relative_path=saved.relative_path,
            preset_id=job.preset_id,
            checkpoint=spec.checkpoint,
            seed=str(spec.seed),
            width=result.image.width,
            height=result.image.height,
            backend=result.backend,
            spec=spec.to_dict(),
            resolution=job.resolution,
        )
        outcome = {
            "image_url": f"{STATIC_URL_PREFIX}/{saved.relative_path}",
            "relative_path": saved.relative_path,
            "seed": spec.seed,
        }
        try:
            recorded = self.store.finish(job.id, self.worker_id, outcome, image)
        except Exception:
            delete_image(self.media_dir, saved.relative_path)
            raise
        if not recorded:
            delete_image(self.media_dir, saved.relative_path)
