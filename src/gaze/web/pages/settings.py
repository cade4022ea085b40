"""Settings: the REST API key, backends and their state, defaults, paths and version."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from gaze.route_deps import RuntimeDep
from gaze.security.api_keys import api_key_info, regenerate_api_key
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.rendering import render
from gaze.web.views.settings_facts import settings_facts
from gaze.webhooks.secret import regenerate_webhook_secret, webhook_secret

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


NEW_KEY_COOKIE = "gaze_new_api_key"
"""Carries a just-made key to the page that shows it, once (reloading never makes another)."""


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    new_key = request.cookies.get(NEW_KEY_COOKIE)
    response = render(
        request,
        "settings.html",
        {
            "active": "settings",
            "api_key": api_key_info(runtime.database),
            "new_key": new_key,
            "facts": settings_facts(runtime),
            "webhook_secret": webhook_secret(runtime.database),
        },
        headers={"Cache-Control": "no-store"},
    )
    if new_key:
        response.delete_cookie(NEW_KEY_COOKIE, path="/settings", httponly=True, samesite="strict")
    return response


@router.post("/settings/api-key", dependencies=[Depends(verify_csrf)])
def regenerate_key(request: Request, runtime: RuntimeDep) -> RedirectResponse:
    key = regenerate_api_key(runtime.database)
    response = RedirectResponse("/settings#api-key", status_code=303)
    response.set_cookie(
        NEW_KEY_COOKIE,
        key,
        max_age=120,
        path="/settings",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/settings/webhook-secret", dependencies=[Depends(verify_csrf)])
def regenerate_webhook_signing_secret(runtime: RuntimeDep) -> RedirectResponse:
    regenerate_webhook_secret(runtime.database)
    return redirect_with_notice(
        "/settings#webhooks", "New webhook secret: webhooks are signed with it from now on."
    )
