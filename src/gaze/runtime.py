"""Everything a GAZE process holds at run time, built once from the settings: the composition
root. It satisfies the services' `JobContext` and builds the library and preset services, so
routes, pages and commands get them from one place."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.exc import InterfaceError, OperationalError

from gaze.db.connection import Database, pool_limits
from gaze.db.migrate import upgrade_to_head
from gaze.engines.base import Engine
from gaze.engines.model_lists import ModelLists
from gaze.engines.pool import BackendPool, BackendState
from gaze.engines.registry import build_engines
from gaze.gallery.service import GalleryService
from gaze.jobs.kinds import DRAFT, KindRunners
from gaze.jobs.queue import JobQueue
from gaze.jobs.store import JobStore
from gaze.library.checkpoint_catalogue import (
    BackendModels,
    CheckpointCatalogue,
    backend_model_lists,
)
from gaze.library.service import LibraryService, known_lora_files
from gaze.llm.draft_runner import DraftRunner
from gaze.media.thumbnails import ThumbnailStore
from gaze.presets.service import PresetService
from gaze.presets.usage import presets_using
from gaze.security.key_registry import KeyRegistry
from gaze.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    queue: JobQueue
    jobs: JobStore
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )

    @cached_property
    def engines(self) -> list[Engine]:
        return build_engines(self.settings)

    @cached_property
    def backends(self) -> BackendPool:
        return BackendPool(self.engines).start()

    def model_lists(self) -> list[ModelLists]:
        """The model lists of every backend that answers."""
        return [backend.lists for backend in self.backend_models()]

    def backend_models(self, names: Collection[str] | None = None) -> list[BackendModels]:
        """The model lists of every backend that answers, by backend name; only of the
        backends in `names` when given (the others are not asked)."""
        engines = self.engines if names is None else [e for e in self.engines if e.name in names]
        return backend_model_lists(engines)

    def backend_states(self) -> list[BackendState]:
        """Every backend as the pool last saw it: up, busy, loaded checkpoint, queue."""
        return self.backends.snapshot()

    def library_service(self) -> LibraryService:
        return LibraryService(
            self.database, self.settings.resolved_media_dir, outside_users=presets_using
        )

    def preset_service(self) -> PresetService:
        return PresetService(
            self.database,
            self.settings.resolved_media_dir,
            checkpoints_dir=self.settings.checkpoints_dir,
            known_loras=lambda: known_lora_files(self.model_lists()),
        )

    def checkpoint_catalogue(self) -> CheckpointCatalogue:
        return CheckpointCatalogue(self.database, self.settings.checkpoints_dir)

    def gallery_service(self) -> GalleryService:
        media_dir = self.settings.resolved_media_dir
        thumbnails = ThumbnailStore.in_cache_folder(media_dir, self.settings.cache_dir)
        return GalleryService(self.database, media_dir, thumbnails)

    @cached_property
    def keys(self) -> KeyRegistry:
        """The API keys, in memory (checked on every API request)."""
        return KeyRegistry(self.database)

    def job_kind_runners(self) -> KindRunners:
        """The runners of the job kinds other than image generation."""
        return {DRAFT: DraftRunner(self.jobs, self.database, self.settings)}

    def close(self) -> None:
        if "keys" in self.__dict__:
            self.keys.flush_uses()
        if "backends" in self.__dict__:
            self.backends.close()
        self.database.dispose()


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    database = Database(settings.resolved_database_url, pool_limits(settings))
    if migrate:
        upgrade_to_head(database.engine)
    return Runtime(
        settings=settings,
        database=database,
        queue=JobQueue(settings.resolved_queue_url),
        jobs=JobStore(database),
    )


def open_runtime_when_reachable(settings: Settings, max_wait: float = 60.0) -> Runtime:
    """`open_runtime`, waiting (with backoff) while the database or queue cannot be reached,
    so that a worker started during a store restart comes up instead of exiting."""
    delay, waited = 0.5, 0.0
    while True:
        try:
            return open_runtime(settings)
        except (OperationalError, InterfaceError, ConnectionError) as error:
            if waited >= max_wait:
                raise
            log.warning("the store is not reachable yet (%s); retrying in %.1f s", error, delay)
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)
