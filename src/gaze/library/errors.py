"""What the library and preset services raise when a request cannot be carried out.

Each error has a stable ``code`` (for API clients) and the ``status`` a REST API answers
with; the services themselves know nothing of HTTP.
"""

from __future__ import annotations


class LibraryError(Exception):
    """Base of the service errors: a message for people, a code for programs."""

    status = 400
    default_code = "library_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class NotFound(LibraryError):
    """No resource, preset or checkpoint with that id, slug or path."""

    status = 404
    default_code = "not_found"


class Conflict(LibraryError):
    """The request clashes with what is stored: an id or slug already taken, or a resource
    still used by presets."""

    status = 409
    default_code = "conflict"


class Invalid(LibraryError):
    """The input is not valid; `problems` lists every problem, one line each
    (``"lora.weight: must be a number ..."``)."""

    status = 400
    default_code = "invalid_document"

    def __init__(self, problems: list[str], *, code: str | None = None, intro: str = "") -> None:
        self.problems = list(problems)
        text = "; ".join(self.problems) or "invalid input"
        super().__init__(f"{intro}{text}", code=code)


class TooLarge(LibraryError):
    """A document larger than the library accepts."""

    status = 413
    default_code = "payload_too_large"
