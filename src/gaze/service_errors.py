"""What the services raise when a request cannot be carried out.

Each error has a stable ``code`` for programs, the ``status`` an HTTP answer carries, a
message for people, and optional ``headers`` (``Retry-After``). The services know nothing
of HTTP: the API maps these to JSON in one place (``api/errors.py``) and the UI to pages in
one place (``web/page_errors.py``).
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the service errors: a message for people, a code for programs."""

    status = 400
    default_code = "invalid_request"

    def __init__(
        self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.headers = headers


class NotFound(ServiceError):
    """No job, batch, resource, preset or checkpoint with that id, slug or path."""

    status = 404
    default_code = "not_found"


class Forbidden(ServiceError):
    """The caller may not do this (a safe-for-work key asking for something flagged NSFW)."""

    status = 403
    default_code = "forbidden"


class Conflict(ServiceError):
    """The request clashes with what is stored: an id or slug already taken, a resource
    still used by presets, a job still running."""

    status = 409
    default_code = "conflict"


class Invalid(ServiceError):
    """The input is not valid; `problems` lists every problem, one line each
    (``"lora.weight: must be a number ..."``)."""

    status = 400
    default_code = "invalid_document"

    def __init__(self, problems: list[str], *, code: str | None = None, intro: str = "") -> None:
        self.problems = list(problems)
        text = "; ".join(self.problems) or "invalid input"
        super().__init__(f"{intro}{text}", code=code)


class TooLarge(ServiceError):
    """A document larger than the library accepts."""

    status = 413
    default_code = "payload_too_large"


class Busy(ServiceError):
    """GAZE cannot take the request now; `headers` says when to retry (Retry-After)."""

    status = 429
    default_code = "too_many_requests"
