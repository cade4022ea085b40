"""The preset editor: create a preset, or edit one, with every slot mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from gaze.library.checkpoint_catalogue import available_checkpoints
from gaze.library.choices import resource_choices
from gaze.presets.schema import ORIENTATION_SIZES
from gaze.route_deps import PresetServiceDep, RuntimeDep
from gaze.runtime import Runtime
from gaze.service_errors import ServiceError
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.preset_form import editor_state, keep_unedited, preset_document
from gaze.web.rendering import render
from gaze.web.request_values import form_lists
from gaze.web.service_errors import problems_of
from gaze.web.views.upscaler_choices import upscaler_choices

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

NEW_PRESET: dict[str, Any] = {
    "id": "",
    "name": "",
    "characters": {"mode": "random"},
    "orientation": "portrait",
}


def default_checkpoint(catalogue: list[dict[str, Any]]) -> str:
    """The first checkpoint a backend has, else the first one with stored settings."""
    available = [entry["path"] for entry in catalogue if entry["available"]]
    return (available or [entry["path"] for entry in catalogue] or [""])[0]


def checkpoints_on_backends(runtime: Runtime) -> frozenset[str] | None:
    """The checkpoints some backend has; None when no backend answered."""
    backends = runtime.backend_models()
    if not backends:
        return None
    return available_checkpoints(backends)


def _saved(runtime: Runtime, document: dict[str, Any], done: str) -> Response:
    """Back to the preset page, saying why it cannot generate yet when it cannot."""
    url = f"/presets/{document['slug']}"
    problems = runtime.preset_service().problems_for_generation(
        document, checkpoints_on_backends(runtime)
    )
    if problems:
        message = f"{done} {document['name']}, but it cannot generate yet: {'; '.join(problems)}"
        return redirect_with_notice(url, message, "warning")
    return redirect_with_notice(url, f"{done} {document['name']}.")


def _editor(
    request: Request,
    runtime: Runtime,
    state: Mapping[str, Any],
    *,
    creating: bool,
    slug: str | None,
    problems: list[str] | None = None,
) -> HTMLResponse:
    backends = runtime.backend_models()
    catalogue = runtime.checkpoint_catalogue().list(backends)
    choices = resource_choices(runtime.database)
    return render(
        request,
        "presets/editor.html",
        {
            "active": "presets",
            "state": state,
            "creating": creating,
            "slug": slug,
            "problems": problems or [],
            "choices": choices,
            "choices_json": {category: entry.to_json() for category, entry in choices.items()},
            "checkpoints": catalogue,
            "orientations": list(ORIENTATION_SIZES["sd1"]),
            "upscalers": upscaler_choices(backends),
            "lora_files": runtime.checkpoint_catalogue().loras(backends),
        },
        status=400 if problems else 200,
    )


@router.get("/presets/new", response_class=HTMLResponse)
def new_preset(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    catalogue = runtime.checkpoint_catalogue().list(runtime.backend_models())
    document = {**NEW_PRESET, "checkpoint": default_checkpoint(catalogue) or None}
    return _editor(request, runtime, editor_state(document), creating=True, slug=None)


@router.post("/presets/new", dependencies=[Depends(verify_csrf)])
async def create_preset(
    request: Request, runtime: RuntimeDep, service: PresetServiceDep
) -> Response:
    document = preset_document(await form_lists(request))
    try:
        created = service.create(document)
    except ServiceError as error:
        return _editor(
            request,
            runtime,
            editor_state(document),
            creating=True,
            slug=None,
            problems=problems_of(error),
        )
    return _saved(runtime, created, "Created")


@router.get("/presets/{slug}/edit", response_class=HTMLResponse)
def edit_preset(
    request: Request, slug: str, runtime: RuntimeDep, service: PresetServiceDep
) -> HTMLResponse:
    document = service.get(slug)
    if document is None:
        raise PageError(404, f"No preset {slug!r}.", code="preset_not_found")
    return _editor(request, runtime, editor_state(document), creating=False, slug=document["slug"])


@router.post("/presets/{slug}/edit", dependencies=[Depends(verify_csrf)])
async def save_preset(
    request: Request, slug: str, runtime: RuntimeDep, service: PresetServiceDep
) -> Response:
    stored = service.get(slug)
    if stored is None:
        raise PageError(404, f"No preset {slug!r}.", code="preset_not_found")
    document = keep_unedited(
        preset_document(await form_lists(request), preset_id=stored["id"]), stored
    )
    try:
        saved = service.replace(stored["id"], document)
    except ServiceError as error:
        return _editor(
            request,
            runtime,
            editor_state(document),
            creating=False,
            slug=stored["slug"],
            problems=problems_of(error),
        )
    return _saved(runtime, saved, "Saved")
