"""The server-sent events wire format (text/event-stream)."""

from __future__ import annotations

import json
from typing import Any

from gaze.events.types import JobEvent

HEARTBEAT = b": heartbeat\n\n"


def sse_message(event: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def sse_job_event(event: JobEvent) -> bytes:
    return f"event: {event.type}\nid: {event.id}\ndata: {event.envelope_json}\n\n".encode()


def sse_job_events(events: list[JobEvent]) -> bytes:
    return b"".join(sse_job_event(event) for event in events)


def sse_retry(milliseconds: int) -> bytes:
    """Tells EventSource clients how long to wait before reconnecting."""
    return f"retry: {milliseconds}\n\n".encode("ascii")
