"""What the jobs API tests do often: queue, wait for a state, read events."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from devkit.server import GazeServer
from gaze.client.models import Event
from gaze.client.sse import SseParser

SLOW = {"width": 512, "height": 512}
"""On the tiny demo model a 512 px image takes seconds: time to watch or cancel it."""
FAST = {"width": 64, "height": 64}


def queue_jobs(server: GazeServer, slug: str = "example_01", **body: Any) -> dict[str, Any]:
    response = server.post(f"/api/v1/generate/{slug}", json=body)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def job_ids(answer: dict[str, Any]) -> list[str]:
    return [job["job_id"] for job in answer["jobs"]]


def job(server: GazeServer, job_id: str) -> dict[str, Any]:
    response = server.get(f"/api/v1/job/{job_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_until(
    check: Callable[[], Any], timeout: float = 120, interval: float = 0.05, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting {timeout} s for {what or check}")
        time.sleep(interval)


def wait_for_status(
    server: GazeServer, job_id: str, statuses: tuple[str, ...], timeout: float = 120
) -> dict[str, Any]:
    result: dict[str, Any] = wait_until(
        lambda: body if (body := job(server, job_id))["status"] in statuses else None,
        timeout=timeout,
        what=f"job {job_id} to be {'/'.join(statuses)}",
    )
    return result


def wait_until_sampling(server: GazeServer, job_id: str, timeout: float = 120) -> dict[str, Any]:
    """The job once it is processing and has reported some progress."""
    result: dict[str, Any] = wait_until(
        lambda: (
            body
            if (body := job(server, job_id))["status"] == "processing" and body["progress"] > 0
            else None
        ),
        timeout=timeout,
        what=f"job {job_id} to make progress",
    )
    return result


class EventRecorder:
    """Reads a server's event stream in a thread; `events` grows as they arrive."""

    def __init__(
        self,
        server: GazeServer,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        self.params = params or {}
        self.headers = {**server.headers, **(headers or {})}
        self.events: list[Event] = []
        self.comments = 0
        self.status: int | None = None
        self.content_type: str | None = None
        self._arrived: queue.Queue[Event] = queue.Queue()
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> EventRecorder:
        self._thread.start()
        assert self._opened.wait(30), "the event stream did not open"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _read(self) -> None:
        parser = SseParser()
        try:
            with httpx.stream(
                "GET",
                f"{self.server.url}/api/v1/events",
                params=self.params,
                headers=self.headers,
                timeout=httpx.Timeout(30, read=None),
            ) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type")
                self._opened.set()
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.comments += 1
                    for event in parser.feed(line):
                        self.events.append(event)
                        self._arrived.put(event)
        finally:
            self._opened.set()

    def wait_for(
        self, check: Callable[[Event], bool], timeout: float = 120, what: str = ""
    ) -> Event:
        """The first event (past or future) for which `check` holds."""
        for event in list(self.events):
            if check(event):
                return event
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self._arrived.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no event {what} within {timeout} s") from None
            if check(event):
                return event


def is_event(kind: str, job_id: str) -> Callable[[Event], bool]:
    return lambda event: event.type == kind and event.data.get("job", {}).get("id") == job_id
