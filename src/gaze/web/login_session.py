"""The UI's login session: required only when GAZE is reachable beyond loopback."""

from __future__ import annotations

from fastapi import Request, Response

from gaze.route_deps import runtime_of
from gaze.security.admin_auth import (
    SESSION_SECONDS,
    AdminPassword,
    admin_password,
    issue_session,
    login_required,
    session_secret,
    session_valid,
)

SESSION_COOKIE = "gaze_session"


class LoginRequired(Exception):
    """Raised by `require_login`; answered with a redirect to /login (or 401 for scripts)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _secret(request: Request) -> bytes:
    cached: bytes | None = getattr(request.app.state, "ui_session_secret", None)
    if cached is None:
        cached = session_secret(runtime_of(request).database)
        request.app.state.ui_session_secret = cached
    return cached


def current_password(request: Request) -> AdminPassword:
    runtime = runtime_of(request)
    return admin_password(runtime.settings, runtime.database)


def is_logged_in(request: Request) -> bool:
    password = current_password(request)
    if not password.configured:
        return False
    return session_valid(
        request.cookies.get(SESSION_COOKIE), _secret(request), password.fingerprint
    )


def require_login(request: Request) -> None:
    """Dependency of every UI route (but /login): a valid session when login is required."""
    if not login_required(runtime_of(request).settings):
        return
    if not is_logged_in(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)


def start_session(request: Request, response: Response, password: AdminPassword) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issue_session(_secret(request), password.fingerprint),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def safe_next_path(candidate: str | None) -> str:
    """A local path to go to after logging in; '/' for anything that could leave the site."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return "/"
    if any(ord(character) < 32 for character in candidate):
        return "/"
    return candidate
