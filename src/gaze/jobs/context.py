"""What the job services need of the running process.

The process's composition root (`gaze.runtime.Runtime`) sits above the services and
satisfies this protocol; the services depend on the protocol, never on the runtime.
"""

from __future__ import annotations

from typing import Protocol

from gaze.db.connection import Database
from gaze.engines.model_lists import ModelLists
from gaze.engines.pool import BackendPool
from gaze.jobs.kinds import KindRunners
from gaze.jobs.queue import JobQueue
from gaze.jobs.store import JobStore
from gaze.settings import Settings


class JobContext(Protocol):
    settings: Settings
    database: Database
    queue: JobQueue
    jobs: JobStore
    worker_id: str

    @property
    def backends(self) -> BackendPool: ...

    def model_lists(self) -> list[ModelLists]:
        """The model lists of every backend that answers."""
        ...

    def job_kind_runners(self) -> KindRunners:
        """The runners of the job kinds other than image generation (drafts...)."""
        ...
