"""Checkpoints: the catalogue (what the backends have, and stored settings), each editable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from gaze.library.lora_listing import with_metadata
from gaze.route_deps import BackendModelsDep, CatalogueDep, RuntimeDep
from gaze.service_errors import ServiceError
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.rendering import render
from gaze.web.request_values import request_values
from gaze.web.service_errors import as_page_errors, problems_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

TEXT_FIELDS = (
    "name",
    "description",
    "sampler",
    "scheduler",
    "prompt_weighting",
    "vae",
    "prefix",
    "negative_prefix",
)
INTEGER_FIELDS = ("width", "height", "steps", "clip_skip")


@router.get("/checkpoints", response_class=HTMLResponse)
def checkpoints_page(
    request: Request, catalogue: CatalogueDep, backends: BackendModelsDep, runtime: RuntimeDep
) -> HTMLResponse:
    return render(
        request,
        "checkpoints/index.html",
        {
            "active": "checkpoints",
            "entries": catalogue.list(backends),
            "backends": [backend.backend for backend in backends],
            "loras": with_metadata(catalogue.loras(backends), runtime.settings.loras_dir),
        },
    )


def settings_document(values: dict[str, Any], path: str) -> dict[str, Any]:
    """Checkpoint settings from the edit form; blank optional fields are left out."""
    document: dict[str, Any] = {"path": path, "base_model": str(values.get("base_model") or "sd1")}
    for name in TEXT_FIELDS:
        text = str(values.get(name) or "").strip()
        if text or name in ("name", "description", "prefix", "negative_prefix"):
            document[name] = text
    for name in INTEGER_FIELDS:
        text = str(values.get(name) or "").strip()
        if text:
            document[name] = int(text) if text.lstrip("-").isdigit() else text
    cfg = str(values.get("cfg") or "").strip()
    if cfg:
        try:
            document["cfg"] = float(cfg)
        except ValueError:
            document["cfg"] = cfg
    return document


def _editor(
    request: Request, entry: dict[str, Any], settings: dict[str, Any], problems: list[str]
) -> HTMLResponse:
    return render(
        request,
        "checkpoints/edit.html",
        {"active": "checkpoints", "entry": entry, "form": settings, "problems": problems},
        status=400 if problems else 200,
    )


@router.get("/checkpoints/edit", response_class=HTMLResponse)
def edit_checkpoint(
    request: Request, path: str, catalogue: CatalogueDep, backends: BackendModelsDep
) -> HTMLResponse:
    with as_page_errors():
        entry = catalogue.get(path, backends)
    return _editor(request, entry, entry["settings"], [])


@router.post("/checkpoints/edit", dependencies=[Depends(verify_csrf)])
async def save_checkpoint(
    request: Request, path: str, catalogue: CatalogueDep, backends: BackendModelsDep
) -> Response:
    with as_page_errors():
        entry = catalogue.get(path, backends)
    document = settings_document(await request_values(request), path)
    try:
        saved = catalogue.replace(path, document, backends)
    except ServiceError as error:
        return _editor(request, entry, {**entry["settings"], **document}, problems_of(error))
    if not saved:
        raise PageError(500, "The settings were not saved.", code="settings_not_saved")
    return redirect_with_notice("/checkpoints", f"Saved the settings of {saved['name']}.")
