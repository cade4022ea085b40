"""Service errors (gaze.service_errors) as the UI's page errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gaze.service_errors import Invalid, ServiceError
from gaze.web.page_errors import page_error_of


@contextmanager
def as_page_errors() -> Iterator[None]:
    """Run service calls; their errors become a 404/409/400 page (or JSON for scripts)."""
    try:
        yield
    except ServiceError as error:
        raise page_error_of(error) from None


def problems_of(error: ServiceError) -> list[str]:
    """Every problem of a refused document, for showing beside the form."""
    if isinstance(error, Invalid):
        return list(error.problems) or [error.message]
    return [error.message]
