"""One-shot notices shown on the page a form redirects to ("Preset saved.")."""

from __future__ import annotations

from urllib.parse import quote, unquote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

FLASH_COOKIE = "gaze_flash"
MAX_FLASH_CHARACTERS = 300


def redirect_with_notice(url: str, message: str, kind: str = "ok") -> RedirectResponse:
    """303 to `url`, which will show `message` once (kind: ok, warning or error)."""
    response = RedirectResponse(url, status_code=303)
    text = f"{kind}:{message[:MAX_FLASH_CHARACTERS]}"
    response.set_cookie(FLASH_COOKIE, quote(text), httponly=True, samesite="lax", path="/")
    return response


def read_notice(request: Request) -> tuple[str, str] | None:
    """The pending notice as (kind, message); `clear_notice` removes it once shown."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, message = unquote(raw).partition(":")
    return (kind if kind in ("ok", "warning", "error") else "ok"), message


def clear_notice(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="lax")
