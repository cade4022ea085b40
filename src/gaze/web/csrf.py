"""Cross-site request protection for forms: a double-submit token (cookie + form field)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request, Response

CSRF_COOKIE = "gaze_csrf"
CSRF_FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The browser's token, or a new one (set on the response by `remember_csrf_token`)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    token: str = getattr(request.state, "new_csrf_token", "") or secrets.token_urlsafe(32)
    request.state.new_csrf_token = token
    return token


def remember_csrf_token(request: Request, response: Response) -> None:
    token = getattr(request.state, "new_csrf_token", None)
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")


async def verify_csrf(request: Request) -> None:
    """Dependency for state-changing form posts: the form token must equal the cookie's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get("x-csrf-token") or ""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, cookie):
        raise HTTPException(403, "Cross-site request refused: reload the page and try again.")
