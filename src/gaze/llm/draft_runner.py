"""The `draft` job kind in the worker: run one drafting task on the configured LLM server,
report the answer's growth as progress, honour cancel, and store the checked result (never
an unchecked answer) or the reason it failed."""

from __future__ import annotations

import logging
import time

from gaze.db.connection import Database
from gaze.db.models import JobRow
from gaze.engines.base import CancelToken
from gaze.jobs.store import JobStore
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.llm.client import ChatClient, LlmServer, ProgressCallback
from gaze.llm.drafting import DraftTask, run_task
from gaze.llm.errors import LlmCancelled, LlmError
from gaze.llm.server_modes import PROCESS_MODES, ServerModes
from gaze.settings import Settings

EXPECTED_ANSWER_CHARACTERS = 1500
"""Progress counts the answer's characters against this (a typical draft), up to 95 %."""
PROGRESS_WRITE_INTERVAL = 0.25

log = logging.getLogger(__name__)


def llm_server(settings: Settings) -> LlmServer | None:
    """The configured LLM server, or None when GAZE_LLM_URL is not set."""
    if not settings.llm_url:
        return None
    return LlmServer(
        url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_seconds,
    )


class DraftRunner:
    """A `KindRunner` for draft jobs."""

    def __init__(
        self,
        store: JobStore,
        database: Database,
        settings: Settings,
        modes: ServerModes = PROCESS_MODES,
    ) -> None:
        self.store = store
        self.vocabulary = TagVocabulary(database)
        self.settings = settings
        self.modes = modes

    def __call__(self, job: JobRow, cancel: CancelToken, worker_id: str) -> None:
        server = llm_server(self.settings)
        if server is None:
            self.store.fail(
                job.id, worker_id, "No LLM server is configured here (GAZE_LLM_URL is not set)."
            )
            return
        self.store.mark_started(job.id, worker_id, f"llm:{server.model or 'default'}")
        task = DraftTask.from_payload(job.spec)
        try:
            result = run_task(
                ChatClient(server, modes=self.modes),
                task,
                self.vocabulary,
                on_progress=self._progress(job.id, cancel),
                cancelled=lambda: cancel.cancelled,
            )
        except LlmCancelled:
            self.store.cancel_running(job.id, worker_id)
            return
        except LlmError as error:
            if cancel.cancelled:
                self.store.cancel_running(job.id, worker_id)
            else:
                log.info("draft job %s failed: %s", job.id, error.message)
                self.store.fail(job.id, worker_id, error.message)
            return
        if cancel.cancelled:
            self.store.cancel_running(job.id, worker_id)
            return
        self.store.finish(job.id, worker_id, result, None)

    def _progress(self, job_id: str, cancel: CancelToken) -> ProgressCallback:
        last_write = 0.0

        def record(characters: int) -> None:
            nonlocal last_write
            now = time.monotonic()
            if now - last_write < PROGRESS_WRITE_INTERVAL:
                return
            last_write = now
            fraction = min(0.95, characters / EXPECTED_ANSWER_CHARACTERS)
            if self.store.record_progress(job_id, fraction).cancel_requested:
                cancel.cancel()

        return record
