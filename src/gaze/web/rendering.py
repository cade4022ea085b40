"""Rendering pages: the Jinja2 environment and the context every page shares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gaze import __version__
from gaze.library.schema import CATEGORIES
from gaze.media.storage import STATIC_URL_PREFIX
from gaze.media.thumbnails import thumbnail_url
from gaze.route_deps import runtime_of
from gaze.security.admin_auth import login_required
from gaze.web.csrf import CSRF_FIELD, csrf_token, remember_csrf_token
from gaze.web.flash import clear_notice, read_notice
from gaze.web.views.navbar_status import navbar_status

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Sent with every page: scripts only from GAZE's own files, no framing by other sites."""

CATEGORY_TITLES: dict[str, str] = {
    "characters": "Characters",
    "looks": "Looks",
    "outfits": "Outfits",
    "actions": "Actions",
    "styles": "Styles",
    "scenes": "Scenes",
    "detailers": "Detailers",
}
CATEGORY_SINGULAR: dict[str, str] = {
    "characters": "character",
    "looks": "look",
    "outfits": "outfit",
    "actions": "action",
    "styles": "style",
    "scenes": "scene",
    "detailers": "detailer",
}


def media_url(relative_path: str | None) -> str:
    """The public URL of a file under the media folder ('' for none)."""
    if not relative_path:
        return ""
    return f"{STATIC_URL_PREFIX}/{quote(relative_path)}"


def time_ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 d ago', or the date."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    if seconds < 86400 * 14:
        return f"{round(seconds / 86400)} d ago"
    return moment.strftime("%Y-%m-%d")


def iso_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def duration(seconds: float | None) -> str:
    """'~8 s', '~3 min', '~2 h' ('' when unknown)."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"~{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"~{round(seconds / 60)} min"
    return f"~{seconds / 3600:.1f} h"


def short_time(iso: str | None) -> str:
    """The time of day of an ISO timestamp (HH:MM:SS), for lists of recent things."""
    if not iso:
        return ""
    return iso[11:19]


def image_url_thumbnail(image_url: str, width: int) -> str:
    """The thumbnail of an image served from the media folder (a job's `image_url`)."""
    prefix = STATIC_URL_PREFIX + "/"
    if not image_url.startswith(prefix):
        return image_url
    return thumbnail_url(unquote(image_url.removeprefix(prefix)), width)


templates.env.filters["media_url"] = media_url
templates.env.filters["image_url_thumbnail"] = image_url_thumbnail
templates.env.filters["thumbnail_url"] = thumbnail_url
templates.env.filters["duration"] = duration
templates.env.filters["short_time"] = short_time
templates.env.filters["time_ago"] = time_ago
templates.env.filters["iso_time"] = iso_time
templates.env.globals["media_prefix"] = STATIC_URL_PREFIX
templates.env.globals["categories"] = CATEGORIES
templates.env.globals["category_titles"] = CATEGORY_TITLES
templates.env.globals["category_singular"] = CATEGORY_SINGULAR


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A full page (or a fragment): `context` plus what every template may use."""
    runtime = runtime_of(request)
    notice = read_notice(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "version": __version__,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token(request),
            "settings": runtime.settings,
            "login_enabled": login_required(runtime.settings),
            "status": navbar_status(runtime),
            "search_q": "",
            "notice": notice,
            **context,
        },
        status_code=status,
        headers={**PAGE_HEADERS, **(headers or {})},
    )
    remember_csrf_token(request, response)
    if notice is not None:
        clear_notice(response)
    return response


def render_fragment(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    """A piece of a page fetched by script (more cards, a panel): no layout, no navbar."""
    response = templates.TemplateResponse(
        request,
        template,
        {"csrf_field": CSRF_FIELD, "csrf_token": csrf_token(request), **context},
        headers=PAGE_HEADERS,
    )
    remember_csrf_token(request, response)
    return response
