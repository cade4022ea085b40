"""Errors of UI routes: shown as a page to people and as JSON to the page's scripts."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from gaze.service_errors import Invalid, ServiceError
from gaze.web.csrf import CrossSiteRequestRefused
from gaze.web.login_session import LoginRequired
from gaze.web.rendering import render


class PageError(Exception):
    """A UI request that cannot be carried out: 404 for a missing preset, 400 for bad input.
    `code` names the problem for scripts (``preset_not_found``, ``unknown_category``...);
    `title` heads the error page shown to people."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        title: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers
        self.title = title or {
            400: "That did not work",
            403: "Not allowed",
            404: "Not found",
            409: "Conflict",
        }.get(status, "Something went wrong")


def page_error_of(error: ServiceError) -> PageError:
    """The one mapping of service errors to UI answers: the error's own status (404, 409,
    429 for a full queue...), code, headers (Retry-After) and, for invalid input, every
    problem."""
    message = error.message
    if isinstance(error, Invalid) and error.problems:
        message = "; ".join(error.problems)
    return PageError(error.status, message, code=error.code, headers=error.headers)


def wants_json(request: Request) -> bool:
    """Scripts (fetch, EventSource) ask for JSON or send the CSRF header; people get pages."""
    accept = request.headers.get("accept", "")
    return (
        "application/json" in accept
        or "text/event-stream" in accept
        or "x-csrf-token" in request.headers
        or request.url.path.startswith("/ui/")
    )


def page_error_response(request: Request, error: PageError) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"error": error.message, "code": error.code},
            status_code=error.status,
            headers=error.headers,
        )
    page = render(
        request, "error.html", {"title": error.title, "message": error.message}, error.status
    )
    page.headers.update(error.headers or {})
    return page


def install_page_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, error: LoginRequired) -> Response:
        if request.method == "GET" and not wants_json(request):
            return RedirectResponse(f"/login?next={quote(error.next_path, safe='')}", 303)
        return JSONResponse(
            {"error": "Log in first: this GAZE asks for the admin password.", "code": "login"},
            status_code=401,
        )

    @app.exception_handler(CrossSiteRequestRefused)
    async def cross_site(request: Request, error: CrossSiteRequestRefused) -> Response:
        return page_error_response(
            request,
            PageError(403, error.message, code="cross_site_request", title="Request refused"),
        )

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> Response:
        return page_error_response(request, error)
