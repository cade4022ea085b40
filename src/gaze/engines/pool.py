"""BackendPool: several engines (local and/or ComfyUI) shared by worker threads.

Each engine runs one job at a time. ``lease(spec)`` hands out a healthy idle engine,
preferring the one that last ran ``spec.checkpoint`` (its model is likely still loaded),
then the one idle longest. Engines with a ``health() -> BackendHealth`` method are checked
at ``start()`` and then every ``health_interval`` seconds by a background thread; those
that fail are skipped until a check passes again. Engines without ``health()`` are always
up. An engine that raises BackendUnavailable inside a lease is marked down at once.

``run_with_failover`` leases, runs, and when the backend dies (BackendUnavailable) retries
once on another backend.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from gaze.engines.base import (
    BackendUnavailable,
    CancelToken,
    Engine,
    GenerationResult,
    ProgressCallback,
)
from gaze.generation_spec import GenerationSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendHealth:
    """What a backend's ``health()`` reports."""

    up: bool
    queue_remaining: int | None
    detail: str


@dataclass(frozen=True)
class BackendState:
    """One backend as the Settings page and ``GET /api/v1/backends`` show it."""

    name: str
    up: bool
    busy: bool
    current_checkpoint: str | None
    queue_remaining: int | None
    detail: str


class NoBackendAvailable(BackendUnavailable):
    """No backend is up, or none became free within the lease timeout."""


@dataclass(eq=False)
class _Slot:
    engine: Engine
    up: bool = True
    busy: bool = False
    current_checkpoint: str | None = None
    queue_remaining: int | None = None
    detail: str = ""
    last_released: float = 0.0
    checkable: bool = field(default=False)


class _MonotonicProgress:
    """Forwards progress, never backwards (a retry restarts at 0 on the new backend)."""

    def __init__(self, sink: ProgressCallback) -> None:
        self._sink = sink
        self._reported = 0.0

    def __call__(self, fraction: float) -> None:
        if fraction > self._reported:
            self._reported = fraction
            self._sink(fraction)


class BackendPool:
    def __init__(self, engines: Sequence[Engine], *, health_interval: float = 10.0) -> None:
        if not engines:
            raise ValueError("a BackendPool needs at least one engine")
        self._slots = [
            _Slot(engine=engine, checkable=callable(getattr(engine, "health", None)))
            for engine in engines
        ]
        self.health_interval = health_interval
        self._condition = threading.Condition()
        self._stopping = threading.Event()
        self._checker: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> BackendPool:
        """Check every backend once, then keep rechecking in the background."""
        self.check_health()
        if self._checker is None:
            self._stopping.clear()
            self._checker = threading.Thread(
                target=self._check_periodically, name="backend-health", daemon=True
            )
            self._checker.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        if self._checker is not None:
            self._checker.join(timeout=30)
            self._checker = None

    def __enter__(self) -> BackendPool:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_periodically(self) -> None:
        while not self._stopping.wait(self.health_interval):
            try:
                self.check_health()
            except Exception:  # pragma: no cover - a checker must outlive surprises
                log.exception("backend health check failed")

    # -- health ----------------------------------------------------------------------

    def check_health(self) -> None:
        """Ask every backend with ``health()`` now (in parallel) and record the answers."""
        checkable = [slot for slot in self._slots if slot.checkable]
        results: list[tuple[_Slot, BackendHealth]] = []
        if checkable:
            with ThreadPoolExecutor(max_workers=len(checkable)) as executor:
                answers = executor.map(self._ask_health, checkable)
                results = list(zip(checkable, answers, strict=True))
        with self._condition:
            for slot, health in results:
                if slot.up and not health.up:
                    log.warning("backend %s is down: %s", slot.engine.name, health.detail)
                elif not slot.up and health.up:
                    log.info("backend %s is back up", slot.engine.name)
                slot.up = health.up
                slot.queue_remaining = health.queue_remaining
                slot.detail = health.detail
            for slot in self._slots:
                if not slot.checkable:
                    slot.up = True
            self._condition.notify_all()

    @staticmethod
    def _ask_health(slot: _Slot) -> BackendHealth:
        try:
            health = slot.engine.health()  # type: ignore[attr-defined]
        except Exception as error:
            return BackendHealth(up=False, queue_remaining=None, detail=f"health check: {error}")
        if not isinstance(health, BackendHealth):
            return BackendHealth(
                up=bool(getattr(health, "up", False)),
                queue_remaining=None,
                detail=str(getattr(health, "detail", "")),
            )
        return health

    def mark_down(self, engine: Engine, detail: str) -> None:
        with self._condition:
            for slot in self._slots:
                if slot.engine is engine:
                    slot.up = False
                    slot.detail = detail
            self._condition.notify_all()
        log.warning("backend %s marked down: %s", engine.name, detail)

    def snapshot(self) -> list[BackendState]:
        with self._condition:
            return [
                BackendState(
                    name=slot.engine.name,
                    up=slot.up,
                    busy=slot.busy,
                    current_checkpoint=slot.current_checkpoint,
                    queue_remaining=slot.queue_remaining,
                    detail=slot.detail,
                )
                for slot in self._slots
            ]

    # -- leasing ---------------------------------------------------------------------

    def _choose(self, spec: GenerationSpec, exclude: Sequence[Engine]) -> _Slot | None:
        idle = [
            slot
            for slot in self._slots
            if slot.up and not slot.busy and all(slot.engine is not e for e in exclude)
        ]
        affine = [slot for slot in idle if slot.current_checkpoint == spec.checkpoint]
        candidates = affine or idle
        return min(candidates, key=lambda slot: slot.last_released) if candidates else None

    def _acquire(
        self, spec: GenerationSpec, timeout: float | None, exclude: Sequence[Engine]
    ) -> _Slot:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while True:
                slot = self._choose(spec, exclude)
                if slot is not None:
                    slot.busy = True
                    return slot
                usable = [
                    slot
                    for slot in self._slots
                    if slot.up and all(slot.engine is not e for e in exclude)
                ]
                if not usable:
                    reasons = "; ".join(
                        f"{slot.engine.name}: {slot.detail or 'down'}" for slot in self._slots
                    )
                    raise NoBackendAvailable(f"no backend is up ({reasons})")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise NoBackendAvailable(f"no backend became free within {timeout:g} s")
                self._condition.wait(remaining)

    @contextmanager
    def lease(self, spec: GenerationSpec, timeout: float | None = None) -> Iterator[Engine]:
        """An idle, healthy engine for ``spec`` until the block ends.

        Waits up to ``timeout`` seconds (forever if None) while all are busy; raises
        NoBackendAvailable when none is up or none became free in time.
        """
        with self._lease(spec, timeout, exclude=()) as engine:
            yield engine

    @contextmanager
    def _lease(
        self, spec: GenerationSpec, timeout: float | None, exclude: Sequence[Engine]
    ) -> Iterator[Engine]:
        slot = self._acquire(spec, timeout, exclude)
        succeeded = False
        try:
            yield slot.engine
            succeeded = True
        except NoBackendAvailable:
            raise  # about other backends, not this one
        except BackendUnavailable as error:
            self.mark_down(slot.engine, str(error))
            raise
        finally:
            with self._condition:
                slot.busy = False
                slot.last_released = time.monotonic()
                if succeeded:
                    slot.current_checkpoint = spec.checkpoint
                self._condition.notify_all()

    def run_with_failover(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
        *,
        lease_timeout: float | None = None,
    ) -> GenerationResult:
        """Run ``spec`` on a leased backend; if that backend dies, once more on another."""
        progress = _MonotonicProgress(on_progress)
        failed: list[Engine] = []
        first_error: BackendUnavailable | None = None
        for _attempt in range(2):
            engine: Engine | None = None
            try:
                with self._lease(spec, lease_timeout, exclude=failed) as engine:
                    result = engine.generate(spec, progress, cancel)
            except NoBackendAvailable as error:
                if first_error is not None:
                    raise BackendUnavailable(
                        f"{first_error}; no other backend to retry on ({error})"
                    ) from first_error
                raise
            except BackendUnavailable as error:
                if first_error is not None or cancel.cancelled or engine is None:
                    raise
                log.warning("backend %s failed, retrying elsewhere: %s", engine.name, error)
                first_error = error
                failed.append(engine)
                continue
            if failed:
                result.info.setdefault("failed_over_from", [e.name for e in failed])
            return result
        raise AssertionError("unreachable")  # pragma: no cover
