"""Logging in and out (only asked for when GAZE is reachable beyond loopback)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gaze.security.admin_auth import login_required
from gaze.web.csrf import verify_csrf
from gaze.web.login_session import current_password, end_session, safe_next_path, start_session
from gaze.web.login_throttle import LoginThrottle
from gaze.web.rendering import render
from gaze.web.services import runtime_of

router = APIRouter(include_in_schema=False)
throttle = LoginThrottle()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    if not login_required(runtime_of(request).settings):
        return RedirectResponse(safe_next_path(next), 303)
    return render(request, "login.html", {"next": safe_next_path(next), "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def log_in(request: Request, password: str = Form(""), next: str = Form("/")) -> Response:
    target = safe_next_path(next)
    client = request.client.host if request.client else "unknown"
    wait = throttle.wait_seconds(client)
    if wait:
        message = f"Too many wrong passwords; try again in {wait} seconds."
        return render(request, "login.html", {"next": target, "error": message}, status=429)
    admin = current_password(request)
    if not admin.matches(password):
        throttle.failed(client)
        return render(
            request, "login.html", {"next": target, "error": "Wrong password."}, status=401
        )
    throttle.succeeded(client)
    response = RedirectResponse(target, 303)
    start_session(request, response, admin)
    return response


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def log_out() -> Response:
    response = RedirectResponse("/login", 303)
    end_session(response)
    return response
