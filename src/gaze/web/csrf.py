"""Cross-site request protection: a double-submit token.

The token lives in an HttpOnly, SameSite=Strict cookie and is repeated by every state-changing
request, in the form field `csrf_token` or, for fetch() calls, the `X-CSRF-Token` header
(pages carry it in `<meta name="csrf-token">`). A request whose token does not equal the
cookie's is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

CSRF_COOKIE = "gaze_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CrossSiteRequestRefused(Exception):
    """A state-changing request without the page's token: answered with 403."""

    message = "Cross-site request refused: reload the page and try again."


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
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")


async def sent_csrf_token(request: Request) -> str:
    """The token a request carries: the header, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def verify_csrf(request: Request) -> None:
    """Dependency for every state-changing request: its token must equal the cookie's."""
    sent = await sent_csrf_token(request)
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not sent or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise CrossSiteRequestRefused()
