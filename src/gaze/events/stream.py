"""Following job events without gaps: catch up from the database, then live from the broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from gaze.events.broker import Subscription, broker_for
from gaze.events.store import EventStore
from gaze.events.types import JobEvent

CATCH_UP_PAGE = 1000
DEFAULT_POLL_SECONDS = 0.1


async def follow_events(
    store: EventStore,
    *,
    job_id: str | None = None,
    batch_id: str | None = None,
    after: int | None = None,
    idle_seconds: float | None = None,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
) -> AsyncIterator[JobEvent | None]:
    """Events of one job, one batch or all jobs, in id order, forever.

    `after=None` starts with the next event; `after=N` first replays stored events with
    id > N (a `Last-Event-ID` resume). Yields None after `idle_seconds` without an event.
    """
    async for events in follow_event_batches(
        store,
        job_id=job_id,
        batch_id=batch_id,
        after=after,
        idle_seconds=idle_seconds,
        poll_seconds=poll_seconds,
    ):
        if not events:
            yield None
        for event in events:
            yield event


async def follow_event_batches(
    store: EventStore,
    *,
    job_id: str | None = None,
    batch_id: str | None = None,
    after: int | None = None,
    idle_seconds: float | None = None,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
) -> AsyncIterator[list[JobEvent]]:
    """As follow_events, but every event already waiting comes at once, in one list (an
    empty list after `idle_seconds` without any): one write per burst for a stream."""
    broker = broker_for(store, poll_seconds)
    subscription = broker.subscribe(job_id, batch_id)
    queue = subscription.queue
    try:
        last = subscription.start_after
        if after is not None and after < subscription.start_after:
            async for page in _stored(store, subscription, after, subscription.start_after):
                yield page
        elif after is not None:
            last = after
        while True:
            if subscription.overflowed:
                subscription.overflowed = False
                async for page in _stored(store, subscription, last, broker.head):
                    last = page[-1].id
                    yield page
            if queue.empty():
                try:
                    first = await asyncio.wait_for(queue.get(), idle_seconds)
                except TimeoutError:
                    yield []
                    continue
                arrived = [first]
            else:
                arrived = []
            while not queue.empty():
                arrived.append(queue.get_nowait())
            fresh = [event for event in arrived if event.id > last]
            if fresh:
                last = fresh[-1].id
                yield fresh
    finally:
        broker.unsubscribe(subscription)


async def _stored(
    store: EventStore, subscription: Subscription, after: int, up_to: int
) -> AsyncIterator[list[JobEvent]]:
    while after < up_to:
        page = await asyncio.to_thread(
            store.read_after,
            after,
            job_id=subscription.job_id,
            batch_id=subscription.batch_id,
            up_to=up_to,
            limit=CATCH_UP_PAGE,
        )
        if page:
            yield page
        if len(page) < CATCH_UP_PAGE:
            return
        after = page[-1].id
