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
    return runtime_of(request).preset_service()


def library_service(request: Request) -> LibraryService:
    return runtime_of(request).library_service()


def checkpoint_catalogue(request: Request) -> CheckpointCatalogue:
    return runtime_of(request).checkpoint_catalogue()


def backend_models(request: Request) -> list[BackendModels]:
    """The model lists of every backend that answers (asks each backend)."""
    return backend_model_lists(runtime_of(request).engines)
