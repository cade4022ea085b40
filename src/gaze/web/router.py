"""Pages: home and Settings (REST API key)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gaze import __version__
from gaze.presets.store import PresetStore
from gaze.runtime import Runtime
from gaze.security.api_keys import api_key_info, regenerate_api_key
from gaze.web.csrf import CSRF_FIELD, csrf_token, remember_csrf_token, verify_csrf

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    response = templates.TemplateResponse(
        request,
        template,
        {
            "version": __version__,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token(request),
            "settings": runtime.settings,
            **context,
        },
        status_code=status,
    )
    remember_csrf_token(request, response)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    return render(request, "home.html", {"presets": PresetStore(runtime.database).cards()})


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request) -> HTMLResponse:
    return _settings(request, new_key=None)


@router.post("/settings/api-key", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def regenerate_key(request: Request) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    return _settings(request, new_key=regenerate_api_key(runtime.database))


def _settings(request: Request, new_key: str | None) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    return render(
        request,
        "settings.html",
        {
            "api_key": api_key_info(runtime.database),
            "new_key": new_key,
            "backends": runtime.backends.snapshot(),
        },
    )
