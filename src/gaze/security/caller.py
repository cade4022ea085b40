"""The caller of the request being served, for the code that queues jobs or picks from the
library on its behalf: the API key's principal, set once its scope is checked; the web UI
(logged in as the admin) when no API key is involved."""

from __future__ import annotations

from contextvars import ContextVar

from gaze.security.principal import WEB_UI_PRINCIPAL, Principal

_CALLER: ContextVar[Principal] = ContextVar("gaze_caller", default=WEB_UI_PRINCIPAL)


def current_caller() -> Principal:
    return _CALLER.get()


def set_caller(principal: Principal) -> None:
    """For this request's task (and the worker threads it starts, which copy the context)."""
    _CALLER.set(principal)
