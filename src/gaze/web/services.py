"""The services the pages call, built from the application's runtime."""

from __future__ import annotations

from fastapi import Request

from gaze.library.checkpoint_catalogue import (
    BackendModels,
    CheckpointCatalogue,
    backend_model_lists,
)
from gaze.library.service import LibraryService
from gaze.presets.service import PresetService
from gaze.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def preset_service(request: Request) -> PresetService:
    runtime = runtime_of(request)
    return PresetService(
        runtime.database,
        runtime.settings.resolved_media_dir,
        checkpoints_dir=runtime.settings.checkpoints_dir,
    )


def library_service(request: Request) -> LibraryService:
    runtime = runtime_of(request)
    return LibraryService(runtime.database, runtime.settings.resolved_media_dir)


def checkpoint_catalogue(request: Request) -> CheckpointCatalogue:
    runtime = runtime_of(request)
    return CheckpointCatalogue(runtime.database, runtime.settings.checkpoints_dir)


def backend_models(request: Request) -> list[BackendModels]:
    """The model lists of every backend that answers (asks each backend)."""
    return backend_model_lists(runtime_of(request).engines)
