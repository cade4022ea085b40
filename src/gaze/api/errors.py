"""API errors are JSON `{"error": "<message>", "code": "<stable_code>"}` with a 4xx/5xx status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gaze.service_errors import ServiceError

log = logging.getLogger(__name__)


def _store_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean the database or the queue cannot be reached."""
    errors: list[type[Exception]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:
        pass
    else:
        errors += [RedisConnectionError, RedisTimeoutError]
    return tuple(errors)


STORE_ERRORS = _store_errors()


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error": message, "code": code}


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


_STATUS_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(error.code, error.message), status_code=error.status, headers=error.headers
        )

    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, error: ServiceError) -> JSONResponse:
        return JSONResponse(
            error_body(error.code, error.message), status_code=error.status, headers=error.headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
            problems.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
        return JSONResponse(
            error_body("invalid_request", "; ".join(problems) or "invalid request"),
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(error.status_code, "http_error")
        detail = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
        if not _wants_json(request) and error.status_code == 404:
            detail = "Not Found"
        return JSONResponse(
            error_body(code, detail), status_code=error.status_code, headers=error.headers
        )

    for store_error in STORE_ERRORS:

        @app.exception_handler(store_error)
        async def store_unavailable(request: Request, error: Exception) -> JSONResponse:
            log.warning("store unavailable on %s %s: %s", request.method, request.url.path, error)
            return JSONResponse(
                error_body(
                    "store_unavailable",
                    "The database or queue is unavailable right now; retry in a few seconds.",
                ),
                status_code=503,
                headers={"Retry-After": "5"},
            )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "Internal server error; see the server log."),
            status_code=500,
        )
