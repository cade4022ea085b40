"""Service errors (gaze.library.errors) as the UI's page errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gaze.library.errors import Invalid, LibraryError
from gaze.web.page_errors import PageError


@contextmanager
def as_page_errors() -> Iterator[None]:
    """Run service calls; their errors become a 404/409/400 page (or JSON for scripts)."""
    try:
        yield
    except Invalid as error:
        raise PageError(400, "; ".join(error.problems) or error.message, code=error.code) from None
    except LibraryError as error:
        raise PageError(error.status, error.message, code=error.code) from None


def problems_of(error: LibraryError) -> list[str]:
    """Every problem of a refused document, for showing beside the form."""
    if isinstance(error, Invalid):
        return list(error.problems) or [error.message]
    return [error.message]
