"""Live updates for the browser: job events and the navbar status as server-sent events.

One stream per open page at /ui/events (no API key: the UI's own login applies). A stream
ends after `STREAM_SECONDS` and the browser reconnects with `Last-Event-ID`, so no event is
lost and a server shutting down is never held up for long by open pages.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from gaze.events.stream import follow_events
from gaze.events.types import JOB_DONE, JOB_PROGRESS, JobEvent, event_id_or_none
from gaze.route_deps import RuntimeDep
from gaze.runtime import Runtime
from gaze.web.login_session import require_login
from gaze.web.views.navbar_status import navbar_status

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

STREAM_SECONDS = 20.0
IDLE_SECONDS = 1.0
STATUS_EVERY_SECONDS = 2.0
RETRY_MILLISECONDS = 1000


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def browser_job(runtime: Runtime, event: JobEvent) -> dict[str, Any]:
    """The job as the page scripts read it: the event's job plus, when done, the image's
    gallery id and what the image picked (``picks``: category, id, name)."""
    job = dict(event.job)
    job["event"] = event.type
    if event.type == JOB_DONE:
        images = runtime.gallery_service().images_of_jobs([event.job_id])
        facts = images.get(event.job_id) or {}
        job["image_id"] = facts.get("image_id")
        job["picks"] = facts.get("picks", [])
    return job


def _resume_after(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("after")
    return event_id_or_none(raw) if raw else None


async def event_stream(request: Request, runtime: Runtime) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + STREAM_SECONDS
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    status = (await run_in_threadpool(navbar_status, runtime)).to_json()
    yield sse("status", status)
    status_at = loop.time()
    after = _resume_after(request)
    if after is None:
        # Mark where this page starts, so that a reconnect resumes here, not at its own start.
        after = await run_in_threadpool(runtime.jobs.events.head)
        yield f"id: {after}\n\n"
    events = follow_events(runtime.jobs.events, after=after, idle_seconds=IDLE_SECONDS)
    try:
        async for event in events:
            if event is not None:
                job = await run_in_threadpool(browser_job, runtime, event)
                yield sse("job", job, event.id)
            now = loop.time()
            changes_counts = event is not None and event.type != JOB_PROGRESS
            if changes_counts or now - status_at >= STATUS_EVERY_SECONDS:
                fresh = (await run_in_threadpool(navbar_status, runtime)).to_json()
                status_at = now
                if fresh != status:
                    status = fresh
                    yield sse("status", status)
                elif event is None:
                    yield ": idle\n\n"
            if now >= ends_at or await request.is_disconnected():
                break
    finally:
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()


@router.get("/ui/events")
async def events(request: Request, runtime: RuntimeDep) -> StreamingResponse:
    return StreamingResponse(
        event_stream(request, runtime),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/ui/status")
def status(runtime: RuntimeDep) -> JSONResponse:
    """The navbar status, for scripts that cannot use the event stream."""
    return JSONResponse(navbar_status(runtime).to_json())
