"""Generate: pick any preset and generate from it, without leaving the page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gaze.library.checkpoint_catalogue import BackendModels
from gaze.presets.schema import ORIENTATION_SIZES
from gaze.route_deps import CatalogueDep, PresetServiceDep, RuntimeDep
from gaze.service_errors import ServiceError
from gaze.web.login_session import require_login
from gaze.web.rendering import render
from gaze.web.views.upscaler_choices import upscaler_choices

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


@router.get("/generate", response_class=HTMLResponse)
def generate_page(
    request: Request,
    service: PresetServiceDep,
    catalogue: CatalogueDep,
    runtime: RuntimeDep,
    preset: str = "",
) -> HTMLResponse:
    presets = service.list(limit=None).items
    chosen = service.get(preset) if preset else None
    if chosen is None and presets:
        chosen = service.get(presets[0]["slug"])
    resolution = None
    resolution_error = None
    checkpoints: list[dict[str, object]] = []
    backends: list[BackendModels] = []
    if chosen is not None:
        try:
            resolution = service.resolve(chosen["slug"])
        except ServiceError as error:
            resolution_error = error.message
        backends = runtime.backend_models()
        checkpoints = catalogue.list(backends)
    return render(
        request,
        "generate.html",
        {
            "active": "generate",
            "presets": presets,
            "preset": chosen,
            "resolution": resolution,
            "resolution_error": resolution_error,
            "checkpoints": checkpoints,
            "base_models": {entry["path"]: entry["base_model"] for entry in checkpoints},
            "orientation_sizes": ORIENTATION_SIZES,
            "upscalers": upscaler_choices(backends),
        },
    )
