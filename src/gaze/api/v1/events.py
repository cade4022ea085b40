"""`GET /api/v1/events`: job events as server-sent events, resumable with Last-Event-ID.

An admin key receives every job's events; any other key only those of the jobs it made, and
a safe-for-work key none of a job whose preset or image is flagged NSFW
(`gaze.gallery.visibility.EventAudience`); a job or batch it may not see is a 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from time import monotonic
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import READ, principal_of
from gaze.api.errors import ApiError, bad_request
from gaze.api.schemas import ERROR_RESPONSES, EVENT_STREAM_ITEM, error_response
from gaze.events.sse_format import HEARTBEAT, sse_job_events, sse_message, sse_retry
from gaze.events.store import EventStore
from gaze.events.stream import follow_event_batches
from gaze.events.types import MAX_EVENT_ID, event_id_or_none
from gaze.gallery.visibility import EventAudience
from gaze.jobs import service
from gaze.route_deps import GalleryServiceDep, RuntimeDep
from gaze.runtime import Runtime

router = APIRouter(tags=["events"])

RECONNECT_MILLISECONDS = 2000

STREAM_DESCRIPTION = """\
A `text/event-stream` of job events, optionally of one job or one batch.

Without `Last-Event-ID` the stream starts with a `snapshot` event (data: `EventSnapshot`:
the watched job or batch, or every active job, and the queue's counts). Then each change is
one event named after its type — `job.queued`, `job.started`, `job.progress`, `job.done`,
`job.failed`, `job.cancelled` — whose data is a `JobEventBody` and whose `id` is the event's
id. Idle streams carry a `: heartbeat` comment every 15 s (GAZE_EVENTS_HEARTBEAT_SECONDS).

Reconnect with the header `Last-Event-ID: <id of the last event received>` (browsers'
EventSource do it by themselves) or `?last_event_id=` to receive every event after it: none
is lost across a reconnect while events are kept (GAZE_EVENTS_RETENTION_HOURS); after that
the stream starts with a fresh snapshot.

```
event: job.progress
id: 1042
data: {"id":1042,"type":"job.progress","created_at":"...","job":{"status":"processing",...}}
```
"""


def _parse_last_event_id(header: str | None, query: int | None) -> int | None:
    if query is not None:
        return query
    if header is None or not header.strip():
        return None
    text = header.strip()
    event_id = event_id_or_none(text)
    if event_id is None:
        raise bad_request(
            "invalid_last_event_id",
            f"Last-Event-ID must be the id of an event (a whole number from 0 to "
            f"{MAX_EVENT_ID}), got {text[:40]!r}",
        )
    return event_id


def _watched(runtime: Runtime, audience: EventAudience, job: str | None, batch: str | None) -> None:
    """404 for a watched job or batch that does not exist or that the key may not see."""
    viewer = audience.caller
    if job is not None:
        service.get_job(runtime, job, viewer)
        if not audience.visible([job]):
            raise ApiError(404, "job_not_found", f"No job with id {job!r}.")
    elif batch is not None:
        jobs = service.batch_view(runtime, batch, viewer).jobs
        if not audience.visible([item["id"] for item in jobs]):
            raise ApiError(404, "batch_not_found", f"No batch with id {batch!r}.")


def _opening(
    runtime: Runtime,
    audience: EventAudience,
    job: str | None,
    batch: str | None,
    after: int | None,
) -> tuple[int | None, dict[str, Any] | None]:
    """(resume after, snapshot): the snapshot when the stream cannot resume without gaps."""
    events: EventStore = runtime.jobs.events
    if after is not None and events.covers(after):
        if audience.sees_everything and job is not None:
            service.get_job(runtime, job)
        elif audience.sees_everything and batch is not None:
            service.batch_view(runtime, batch)
        else:
            _watched(runtime, audience, job, batch)
        return after, None
    if not audience.sees_everything:
        _watched(runtime, audience, job, batch)
    head = events.head()
    snapshot = service.event_snapshot(runtime, job, batch)
    if not audience.sees_everything:
        visible = audience.visible([item["id"] for item in snapshot["jobs"]])
        snapshot["jobs"] = [item for item in snapshot["jobs"] if item["id"] in visible]
    return head, snapshot


@router.get(
    "/events",
    dependencies=[READ],
    summary="Stream job events",
    operation_id="stream_events",
    description=STREAM_DESCRIPTION,
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless event stream (see above)",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "itemSchema": EVENT_STREAM_ITEM,
                }
            },
        },
        404: error_response(
            "The job or batch to watch does not exist",
            "job_not_found",
            "No job with id '783f0268-ba85-4426-8ca2-6393c844c887'.",
        ),
        **ERROR_RESPONSES,
    },
)
async def events(
    request: Request,
    runtime: RuntimeDep,
    images: GalleryServiceDep,
    job: Annotated[str | None, Query(max_length=100, description="Only this job's events.")] = None,
    batch: Annotated[
        str | None, Query(max_length=100, description="Only this batch's events.")
    ] = None,
    last_event_id: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_EVENT_ID,
            description="Resume after this event id (like the Last-Event-ID header).",
        ),
    ] = None,
    last_event_id_header: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=30,
            description="Resume after this event id; sent by EventSource on reconnect.",
        ),
    ] = None,
) -> StreamingResponse:
    after = _parse_last_event_id(last_event_id_header, last_event_id)
    audience = images.event_audience(principal_of(request))
    start_after, snapshot = await run_in_threadpool(_opening, runtime, audience, job, batch, after)
    settings = runtime.settings

    async def stream() -> AsyncIterator[bytes]:
        yield sse_retry(RECONNECT_MILLISECONDS)
        last_write = monotonic()
        if snapshot is not None:
            yield sse_message("snapshot", snapshot, start_after or None)
        async for events in follow_event_batches(
            runtime.jobs.events,
            job_id=job,
            batch_id=batch,
            after=start_after,
            idle_seconds=settings.events_heartbeat_seconds,
            poll_seconds=settings.events_poll_seconds,
        ):
            if events and not audience.sees_everything:
                visible = await run_in_threadpool(audience.visible, {e.job_id for e in events})
                events = [event for event in events if event.job_id in visible]
                if not events and monotonic() - last_write < settings.events_heartbeat_seconds:
                    continue  # nothing for this key: a heartbeat only when one is due
            last_write = monotonic()
            yield sse_job_events(events) if events else HEARTBEAT

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
