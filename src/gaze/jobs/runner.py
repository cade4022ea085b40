"""Running one job in a worker: claim it, generate on a backend, save the PNG, record it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from gaze.db.models import ImageRow, JobRow
from gaze.engines.base import (
    CancelToken,
    EngineError,
    GenerationCancelled,
    GenerationResult,
    ProgressCallback,
)
from gaze.generation_spec import GenerationSpec
from gaze.jobs.store import JobStore
from gaze.media.png_metadata import png_info
from gaze.media.storage import STATIC_URL_PREFIX, delete_image, encode_png, save_png

HEARTBEAT_SECONDS = 5.0
PROGRESS_WRITE_INTERVAL = 0.1

log = logging.getLogger(__name__)


class Backends(Protocol):
    def run_with_failover(
        self, spec: GenerationSpec, on_progress: ProgressCallback, cancel: CancelToken
    ) -> GenerationResult: ...


@contextmanager
def heartbeat(store: JobStore, job_id: str, interval: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Keep the job's heartbeat fresh while it runs, so sweeps know its worker is alive."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                store.heartbeat(job_id)
            except Exception:  # the store may be briefly unreachable; the next beat retries
                log.warning("heartbeat for job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class JobRunner:
    def __init__(
        self, store: JobStore, backends: Backends, media_dir: Path, worker_id: str
    ) -> None:
        self.store = store
        self.backends = backends
        self.media_dir = media_dir
        self.worker_id = worker_id

    def __call__(self, job_id: str) -> None:
        job = self.store.claim(job_id, self.worker_id)
        if job is None:
            return
        spec = GenerationSpec.from_dict(job.spec)
        cancel = CancelToken()
        with heartbeat(self.store, job_id):
            try:
                result = self.backends.run_with_failover(
                    spec, self._progress_recorder(job_id, cancel), cancel
                )
            except GenerationCancelled:
                self.store.cancel_running(job_id, self.worker_id)
                return
            except EngineError as error:
                self.store.fail(job_id, self.worker_id, str(error))
                return
            except Exception as error:
                log.exception("job %s failed unexpectedly", job_id)
                self.store.fail(job_id, self.worker_id, f"Internal generation error: {error}")
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
            if self.store.record_progress(job_id, fraction):
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
