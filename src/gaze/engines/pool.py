"""BackendPool: several engines (local and/or ComfyUI) shared by worker threads.

Each engine runs one job at a time. ``lease(spec)`` hands out a healthy idle engine that
has every model the spec needs (its checkpoint, LoRAs and VAE, see
`gaze.engines.model_lists`), preferring the one whose loaded checkpoint is
``spec.checkpoint`` (no reload), then the one idle longest. A spec no backend that is up
can run fails at once (NoBackendHasModels) instead of waiting.

Every engine's ``health()`` is asked at ``start()`` and then every ``health_interval``
seconds by a background thread; engines that fail are skipped until a check passes again.
An engine that raises BackendUnavailable inside a lease is marked down at once. Each check
also reads every backend's model lists, and the checkpoint it ran last (``last_checkpoint``:
a ComfyUI keeps it loaded, also from prompts GAZE did not send).

``run_with_failover`` leases, runs, and when the backend dies (BackendUnavailable) or turns
out to lack a model after all (ModelNotFound), retries once on another backend.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from gaze.engines.base import (
    BackendHealth,
    BackendUnavailable,
    CancelToken,
    Engine,
    GenerationResult,
    ModelNotFound,
    ProgressCallback,
)
from gaze.engines.model_lists import CUSTOM_WORKFLOWS, ModelLists, Requirements, model_lists
from gaze.generation_spec import GenerationSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendState:
    """One backend as the Settings page and ``GET /api/v1/backends`` show it."""

    name: str
    up: bool
    busy: bool
    current_checkpoint: str | None
    queue_remaining: int | None
    detail: str
    samplers: tuple[str, ...] | None = None
    """What it can sample with, as last read (None: not read yet, or it was down)."""
    schedulers: tuple[str, ...] | None = None
    prompt_weightings: tuple[str, ...] = ()


class NoBackendAvailable(BackendUnavailable):
    """No backend is up, or none became free within the lease timeout."""


class NoBackendHasModels(NoBackendAvailable):
    """Backends are up, but none of them has every model the spec needs."""


@dataclass(eq=False)
class _Slot:
    engine: Engine
    up: bool = True
    busy: bool = False
    current_checkpoint: str | None = None
    queue_remaining: int | None = None
    detail: str = ""
    last_released: float = 0.0
    models: ModelLists | None = None
    """Its model lists as last read; None until read (then it may run anything)."""

    def unmet(self, requirements: Requirements) -> list[str]:
        if self.models is not None:
            return self.models.unmet(requirements)
        if requirements.custom_workflow and not self.engine.capabilities.runs_workflow_templates:
            return [CUSTOM_WORKFLOWS]
        return []


@dataclass(frozen=True)
class _CheckResult:
    started: float
    health: BackendHealth
    models: ModelLists | None


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
    def __init__(self, engines: Sequence[Engine], *, health_interval: float = 5.0) -> None:
        if not engines:
            raise ValueError("a BackendPool needs at least one engine")
        self._slots = [_Slot(engine=engine) for engine in engines]
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
        """Ask every backend now (in parallel) for its health and model lists; record them."""
        with ThreadPoolExecutor(max_workers=len(self._slots)) as executor:
            results = list(executor.map(self._check, self._slots))
        with self._condition:
            for slot, result in zip(self._slots, results, strict=True):
                self._record(slot, result)
            self._condition.notify_all()

    def _check(self, slot: _Slot) -> _CheckResult:
        started = time.monotonic()
        health = self._ask_health(slot)
        return _CheckResult(started, health, self._read_models(slot.engine) if health.up else None)

    @staticmethod
    def _read_models(engine: Engine) -> ModelLists | None:
        try:
            return model_lists(engine)
        except Exception as error:  # an engine's listing must not take the pool down
            log.warning("could not list the models of %s: %s", engine.name, error)
            return None

    def _record(self, slot: _Slot, result: _CheckResult) -> None:
        """Apply one check's answers (the caller holds the condition)."""
        if result.models is not None:
            slot.models = result.models
        health = result.health
        if slot.up and not health.up:
            log.warning("backend %s is down: %s", slot.engine.name, health.detail)
        elif not slot.up and health.up:
            log.info("backend %s is back up", slot.engine.name)
        slot.up = health.up
        slot.queue_remaining = health.queue_remaining
        slot.detail = health.detail
        # The backend's own history knows what it loaded last, also from prompts sent by
        # others; it is stale if a job of ours ran there since the check began.
        if (
            health.last_checkpoint is not None
            and not slot.busy
            and result.started >= slot.last_released
        ):
            slot.current_checkpoint = health.last_checkpoint

    @staticmethod
    def _ask_health(slot: _Slot) -> BackendHealth:
        try:
            return slot.engine.health()
        except Exception as error:  # a failing check must not take the pool down
            return BackendHealth(up=False, queue_remaining=None, detail=f"health check: {error}")

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
                    samplers=slot.models.samplers if slot.models else None,
                    schedulers=slot.models.schedulers if slot.models else None,
                    prompt_weightings=tuple(slot.engine.capabilities.prompt_weightings),
                )
                for slot in self._slots
            ]

    # -- leasing ---------------------------------------------------------------------

    def _choose(
        self, spec: GenerationSpec, requirements: Requirements, exclude: Sequence[Engine]
    ) -> _Slot | None:
        idle = [
            slot
            for slot in self._slots
            if slot.up
            and not slot.busy
            and all(slot.engine is not e for e in exclude)
            and not slot.unmet(requirements)
        ]
        affine = [slot for slot in idle if slot.current_checkpoint == spec.checkpoint]
        candidates = affine or idle
        return min(candidates, key=lambda slot: slot.last_released) if candidates else None

    def _acquire(
        self, spec: GenerationSpec, timeout: float | None, exclude: Sequence[Engine]
    ) -> _Slot:
        requirements = Requirements.of(spec)
        deadline = None if timeout is None else time.monotonic() + timeout
        lists_reread = False
        while True:
            with self._condition:
                while True:
                    slot = self._choose(spec, requirements, exclude)
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
                    if not any(not slot.unmet(requirements) for slot in usable):
                        if lists_reread:
                            raise NoBackendHasModels(self._why_none_can_run(requirements, exclude))
                        break  # the lists may be stale: read them again, outside the lock
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise NoBackendAvailable(f"no backend became free within {timeout:g} s")
                    self._condition.wait(remaining)
            self._reread_models(usable)
            lists_reread = True

    def _reread_models(self, slots: Sequence[_Slot]) -> None:
        with ThreadPoolExecutor(max_workers=len(slots)) as executor:
            lists = list(executor.map(lambda slot: self._read_models(slot.engine), slots))
        with self._condition:
            for slot, models in zip(slots, lists, strict=True):
                if models is not None:
                    slot.models = models
            self._condition.notify_all()

    def _why_none_can_run(self, requirements: Requirements, exclude: Sequence[Engine]) -> str:
        reasons = []
        for slot in self._slots:
            if any(slot.engine is e for e in exclude):
                reasons.append(f"{slot.engine.name}: failed this job already")
            elif not slot.up:
                reasons.append(f"{slot.engine.name}: down")
            else:
                reasons.append(f"{slot.engine.name}: lacks {', '.join(slot.unmet(requirements))}")
        needed = [need.describe() for need in requirements.models]
        if requirements.custom_workflow:
            needed.append("a custom ComfyUI workflow")
        return f"no backend that is up can run {' + '.join(needed)} ({'; '.join(reasons)})"

    @contextmanager
    def lease(
        self,
        spec: GenerationSpec,
        timeout: float | None = None,
        *,
        exclude: Sequence[Engine] = (),
    ) -> Iterator[Engine]:
        """An idle, healthy engine for ``spec`` (none of ``exclude``) until the block ends.

        Waits up to ``timeout`` seconds (forever if None) while all are busy; raises
        NoBackendAvailable when none is up or none became free in time.
        """
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
        on_lease: Callable[[Engine], None] | None = None,
    ) -> GenerationResult:
        """Run ``spec`` on a leased backend; if that backend dies, or lacks a model after
        all, once more on another. ``on_lease`` is told each backend as it is leased."""
        progress = _MonotonicProgress(on_progress)
        failed: list[Engine] = []
        first_error: BackendUnavailable | ModelNotFound | None = None
        for _attempt in range(2):
            engine: Engine | None = None
            try:
                with self.lease(spec, lease_timeout, exclude=failed) as engine:
                    if on_lease is not None:
                        on_lease(engine)
                    result = engine.generate(spec, progress, cancel)
            except NoBackendAvailable as error:
                if first_error is None:
                    raise
                if isinstance(first_error, ModelNotFound):
                    raise first_error from error
                raise BackendUnavailable(
                    f"{first_error}; no other backend to retry on ({error})"
                ) from first_error
            except (BackendUnavailable, ModelNotFound) as error:
                if first_error is not None or cancel.cancelled or engine is None:
                    raise
                if isinstance(error, ModelNotFound):
                    self._forget_models(engine)
                log.warning("backend %s failed, retrying elsewhere: %s", engine.name, error)
                first_error = error
                failed.append(engine)
                continue
            if failed:
                result.info.setdefault("failed_over_from", [e.name for e in failed])
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _forget_models(self, engine: Engine) -> None:
        """Re-read the lists of a backend that turned out to lack a model."""
        models = self._read_models(engine)
        with self._condition:
            for slot in self._slots:
                if slot.engine is engine and models is not None:
                    slot.models = models
