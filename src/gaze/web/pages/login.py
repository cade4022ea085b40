"""Logging in and out (only asked for when GAZE is reachable beyond loopback)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.route_deps import RuntimeDep
from gaze.security.admin_auth import login_required
from gaze.security.client_address import client_address
from gaze.web.csrf import verify_csrf
from gaze.web.login_session import current_password, end_session, safe_next_path, start_session
from gaze.web.login_throttle import LoginThrottle
from gaze.web.rendering import render

router = APIRouter(include_in_schema=False)
throttle = LoginThrottle()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, runtime: RuntimeDep, next: str = "/") -> Response:
    if not login_required(runtime.settings):
        return RedirectResponse(safe_next_path(next), 303)
    return render(request, "login.html", {"next": safe_next_path(next), "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
async def log_in(request: Request, password: str = Form(""), next: str = Form("/")) -> Response:
    """The right password always logs in; after wrong ones, attempts wait first (see
    `gaze.web.login_throttle`) and wrong answers say how long the next one will wait."""
    target = safe_next_path(next)
    address = client_address(request)
    wait = throttle.wait_seconds(address)
    if wait > 0:
        await asyncio.sleep(wait)
    admin = await run_in_threadpool(current_password, request)
    if await run_in_threadpool(admin.matches, password):
        throttle.succeeded(address)
        response = RedirectResponse(target, 303)
        start_session(request, response, admin)
        return response
    throttle.failed(address)
    retry_after = throttle.retry_after(address)
    if not retry_after:
        return render(
            request, "login.html", {"next": target, "error": "Wrong password."}, status=401
        )
    message = f"Wrong password. Too many wrong passwords: the next try waits {retry_after} s."
    return render(
        request,
        "login.html",
        {"next": target, "error": message},
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def log_out() -> Response:
    response = RedirectResponse("/login", 303)
    end_session(response)
    return response
