"""Which backend a running job is on, known as soon as it is leased.

BackendPool.run_with_failover does not (yet) say which engine it leased. When it accepts an
``on_lease`` callback, that is used. Otherwise: with one backend the answer is known at
once; with several, the runner attributes a job at its first progress report to the one
busy backend no other job of this process is known to be on (each engine runs one job
at a time, and the pool belongs to this process). When that is ambiguous the backend is
recorded when the job ends.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any, Protocol

from gaze.engines.base import CancelToken, GenerationResult, ProgressCallback
from gaze.generation_spec import GenerationSpec


class BackendState(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def busy(self) -> bool: ...


class Backends(Protocol):
    def run_with_failover(
        self, spec: GenerationSpec, on_progress: ProgressCallback, cancel: CancelToken
    ) -> GenerationResult: ...

    def snapshot(self) -> list[Any]: ...


def accepts_on_lease(backends: Backends) -> bool:
    try:
        parameters = inspect.signature(backends.run_with_failover).parameters
    except (TypeError, ValueError):
        return False
    return "on_lease" in parameters


class BackendAttribution:
    """Tracks which backend each running job of this process is on."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self.hooked = accepts_on_lease(backends)
        self._lock = threading.Lock()
        self._on: dict[str, str] = {}

    def only_backend(self) -> str | None:
        states = self.backends.snapshot()
        return states[0].name if len(states) == 1 else None

    def guess(self, job_id: str) -> str | None:
        """The backend `job_id` must be on, when exactly one busy one is unaccounted for."""
        states: list[BackendState] = self.backends.snapshot()
        with self._lock:
            if job_id in self._on:
                return self._on[job_id]
            taken = {name for other, name in self._on.items() if other != job_id}
            candidates = [state.name for state in states if state.busy and state.name not in taken]
            if len(candidates) != 1:
                return None
            self._on[job_id] = candidates[0]
            return candidates[0]

    def record(self, job_id: str, backend: str) -> None:
        with self._lock:
            self._on[job_id] = backend

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._on.pop(job_id, None)

    def run(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
        on_lease: Callable[[str], None],
    ) -> GenerationResult:
        if self.hooked:
            return self.backends.run_with_failover(  # type: ignore[call-arg]
                spec, on_progress, cancel, on_lease=lambda engine: on_lease(engine.name)
            )
        return self.backends.run_with_failover(spec, on_progress, cancel)
