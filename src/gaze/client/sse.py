"""An incremental parser of the text/event-stream format (the parts GAZE uses)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from gaze.client.models import Event


class SseParser:
    """Feed it decoded lines (without their line ending); it yields complete events."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self.last_event_id: str | None = None
        self.retry_ms: int | None = None

    def feed(self, line: str) -> Iterator[Event]:
        if line == "":
            event = self._dispatch()
            if event is not None:
                yield event
            return
        if line.startswith(":"):
            return  # a comment: heartbeat
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)

    def _dispatch(self) -> Event | None:
        if self._id is not None:
            self.last_event_id = self._id
        data, event_type, event_id = self._data, self._event or "message", self._id
        self._data, self._event, self._id = [], "", None
        if not data:
            return None
        text = "\n".join(data)
        try:
            payload = json.loads(text)
        except ValueError:
            payload = {"text": text}
        if not isinstance(payload, dict):
            payload = {"value": payload}
        return Event(
            type=event_type,
            id=int(event_id) if event_id and event_id.isdigit() else None,
            data=payload,
        )
