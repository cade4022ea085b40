"""Fan-out of job events to the subscribers of one event loop.

One broker per event loop reads new events from the database once and hands each to every
subscriber whose filter matches, and to every observer (the status cache). It wakes
immediately when this process commits an event (`EventStore.committed`) and, on PostgreSQL,
when another process does (LISTEN/NOTIFY, `EventStore.pushed`); then it polls only every
`FALLBACK_POLL_SECONDS`, so that a lost notification still arrives. Without notifications
(SQLite, or the LISTEN connection down) it polls every `poll_seconds`, so events written by
another process (a standalone `gaze worker`) arrive too. The broker runs only while it has
subscribers or observers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from gaze.events.store import EventStore
from gaze.events.types import JobEvent

QUEUE_LIMIT = 5000
"""Events buffered per subscriber; a slower one catches up from the database instead."""
READ_LIMIT = 2000
GAP_WAIT_SECONDS = 1.0
"""How long a hole in the ids may be a transaction still committing (PostgreSQL) before the
broker reads it as a rolled-back insert and moves on."""

FALLBACK_POLL_SECONDS = 1.5
"""How often a broker reads the table while notifications arrive: heals a lost one."""

log = logging.getLogger(__name__)


class EventObserver(Protocol):
    """Told of every event this broker delivers, in id order, on the event loop's thread."""

    def delivered(self, event: JobEvent) -> None: ...

    def lost(self) -> None:
        """Reading events failed: events may now arrive late; forget what they would change."""


@dataclass(eq=False)
class Subscription:
    job_id: str | None
    batch_id: str | None
    start_after: int
    """Events with a greater id arrive on `queue`; older ones are read from the database."""
    queue: asyncio.Queue[JobEvent] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )
    overflowed: bool = False

    def matches(self, event: JobEvent) -> bool:
        if self.job_id is not None and event.job_id != self.job_id:
            return False
        return self.batch_id is None or event.batch_id == self.batch_id

    def offer(self, event: JobEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True


class EventBroker:
    def __init__(
        self, store: EventStore, loop: asyncio.AbstractEventLoop, poll_seconds: float
    ) -> None:
        self.store = store
        self.loop = loop
        self.poll_seconds = poll_seconds
        self.head = store.head()
        self._subscribers: set[Subscription] = set()
        self._observers: list[EventObserver] = []
        self.healthy = True
        """The last read of the table succeeded (observers may trust what they were told)."""
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._gap_since: float | None = None
        self._inline_reads = store.database.engine.dialect.name == "sqlite"

    def subscribe(self, job_id: str | None = None, batch_id: str | None = None) -> Subscription:
        subscription = Subscription(job_id=job_id, batch_id=batch_id, start_after=self.head)
        self._subscribers.add(subscription)
        self._ensure_running()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
        if not self._wanted():
            self._wake.set()  # let the task notice and end

    def observe(self, observer: EventObserver) -> None:
        """Tell `observer` of every event delivered from now on (call on the loop's thread)."""
        if observer not in self._observers:
            self._observers.append(observer)
        self._ensure_running()

    def unobserve(self, observer: EventObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)
        if not self._wanted():
            self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None

    def _wanted(self) -> bool:
        return bool(self._subscribers or self._observers)

    def _ensure_running(self) -> None:
        if self._task is None:
            self.healthy = True  # it reads on from `head`: nothing is missed
            self.store.add_listener(self._notify)
            self._task = self.loop.create_task(self._run(), name="gaze-event-broker")

    def wait_seconds(self) -> float:
        """How long to sleep when nothing wakes the broker."""
        if self._gap_since is not None:
            return 0.02
        if self.store.pushed:
            return max(self.poll_seconds, FALLBACK_POLL_SECONDS)
        return self.poll_seconds

    def _notify(self) -> None:
        """Called by writers in any thread of this process after they commit events."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
            self.loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        try:
            while self._wanted():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.wait_seconds())
                self._wake.clear()
                if not self._wanted():
                    break
                try:
                    while await self._pump():
                        pass
                    self.healthy = True
                except Exception:
                    log.warning("reading job events failed; retrying", exc_info=True)
                    self._lose()
                    await asyncio.sleep(min(self.poll_seconds, FALLBACK_POLL_SECONDS))
        finally:
            self.healthy = False
            self._lose()
            self.store.remove_listener(self._notify)
            self._task = None

    async def _read(self) -> list[JobEvent]:
        if self._inline_reads:  # a local SQLite read takes microseconds: no thread hop
            return self.store.read_after(self.head, limit=READ_LIMIT)
        return await asyncio.to_thread(self.store.read_after, self.head, limit=READ_LIMIT)

    async def _pump(self) -> bool:
        """Deliver new events; True when there may be more to read right away."""
        events = await self._read()
        delivered = 0
        for event in events:
            if event.id != self.head + 1 and not self._gap_expired():
                break
            self._gap_since = None
            self.head = event.id
            delivered += 1
            for observer in self._observers:
                observer.delivered(event)
            for subscription in self._subscribers:
                if subscription.matches(event):
                    subscription.offer(event)
        return delivered == READ_LIMIT

    def _lose(self) -> None:
        self.healthy = False
        for observer in list(self._observers):
            try:
                observer.lost()
            except Exception:
                log.warning("an event observer failed", exc_info=True)

    def _gap_expired(self) -> bool:
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        return now - self._gap_since >= GAP_WAIT_SECONDS


def broker_for(store: EventStore, poll_seconds: float) -> EventBroker:
    """The broker of the running event loop, created on first use."""
    loop = asyncio.get_running_loop()
    broker = store.brokers.get(loop)
    if broker is None:
        for stale in [key for key in store.brokers if getattr(key, "is_closed", lambda: 0)()]:
            del store.brokers[stale]
        broker = EventBroker(store, loop, poll_seconds)
        store.brokers[loop] = broker
    return broker  # type: ignore[no-any-return]
