"""What API routes and UI pages are given: the application's runtime and the services built
from it, as FastAPI dependencies (``service: LibraryServiceDep``), and `runtime_of` for code
that holds only the request (the API key check, the job-polling hot path, rendering, the
login session).

Every dependency here takes only the request, so none adds a parameter to the OpenAPI
document. Those that only build a service are coroutines: they never wait, so they need no
worker thread. `BackendModelsDep` asks every backend for its model lists, in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gaze.gallery.service import GalleryService
from gaze.library.checkpoint_catalogue import BackendModels, CheckpointCatalogue
from gaze.library.service import LibraryService
from gaze.presets.service import PresetService
from gaze.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _preset_service(runtime: RuntimeDep) -> PresetService:
    return runtime.preset_service()


async def _library_service(runtime: RuntimeDep) -> LibraryService:
    return runtime.library_service()


async def _checkpoint_catalogue(runtime: RuntimeDep) -> CheckpointCatalogue:
    return runtime.checkpoint_catalogue()


async def _gallery_service(runtime: RuntimeDep) -> GalleryService:
    return runtime.gallery_service()


def _backend_models(runtime: RuntimeDep) -> list[BackendModels]:
    return runtime.backend_models()


PresetServiceDep = Annotated[PresetService, Depends(_preset_service)]
LibraryServiceDep = Annotated[LibraryService, Depends(_library_service)]
CatalogueDep = Annotated[CheckpointCatalogue, Depends(_checkpoint_catalogue)]
GalleryServiceDep = Annotated[GalleryService, Depends(_gallery_service)]
BackendModelsDep = Annotated[list[BackendModels], Depends(_backend_models)]
"""The model lists of every backend that answers."""
