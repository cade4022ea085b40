"""Job events pushed between processes by PostgreSQL's LISTEN/NOTIFY.

Writers call `notify_committed_events` inside the transaction that appends events: PostgreSQL
delivers the notification when (and only if) that transaction commits, so a listener never
hears of a row it cannot read yet. `NotificationListener` keeps one LISTEN connection per
process in a thread and calls `wake()` for each notification and after each (re)connection,
so that a broker reads the new rows from the table, which stays the durable record.
See docs/decisions/008-job-events-pushed-by-listen-notify.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

CHANNEL = "gaze_job_events"
MAX_PAYLOAD_BYTES = 7900
"""PostgreSQL refuses payloads of 8000 bytes or more."""
WAIT_SECONDS = 0.25
"""How long one wait for notifications lasts before the thread looks at its stop flag."""
PING_SECONDS = 10.0
"""A LISTEN connection idle this long is checked with a query (a silently dead peer)."""
RECONNECT_FIRST_SECONDS = 0.2
RECONNECT_MAX_SECONDS = 2.0
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}

log = logging.getLogger(__name__)


def supports_notifications(engine: Engine) -> bool:
    """PostgreSQL through psycopg 3: the driver whose connections can wait for notifications."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def notification_payload(last_event_id: int, job_ids: Sequence[str]) -> str:
    """`<last event id> <job id> <job id> …`, as many job ids as fit under the size limit."""
    payload = str(last_event_id)
    for job_id in dict.fromkeys(job_ids):
        if len(payload) + 1 + len(job_id.encode("utf-8")) > MAX_PAYLOAD_BYTES:
            break
        payload += " " + job_id
    return payload


def parse_payload(payload: str) -> tuple[int | None, list[str]]:
    """(last event id, job ids) of a notification; (None, []) for a payload of another kind."""
    first, *job_ids = payload.split(" ")
    return (int(first), job_ids) if first.isdigit() else (None, [])


def notify_committed_events(session: Session, last_event_id: int, job_ids: Sequence[str]) -> None:
    """Queue one notification in the session's transaction (sent when it commits)."""
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": notification_payload(last_event_id, job_ids)},
    )


def listen_connector(engine: Engine) -> Callable[[], Any]:
    """Opens a psycopg connection (autocommit, TCP keepalives) to the engine's database."""
    import psycopg

    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    params = {**KEEPALIVES, "connect_timeout": 5, **cparams}

    def connect() -> Any:
        return psycopg.connect(*cargs, autocommit=True, **params)

    return connect


class NotificationListener:
    """A thread that LISTENs on `CHANNEL` and calls `wake()` for what it hears.

    `wake()` is also called after each (re)connection and when the connection is lost: what was
    committed meanwhile is found by reading the table, and a broker learns that it must poll
    quickly again. The thread reconnects with a growing delay (up to 2 s) after a
    PostgreSQL restart; `connected` says whether it is listening right now.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        wake: Callable[[], None],
        on_payload: Callable[[str], None] | None = None,
    ) -> None:
        self._connect = connect
        self._wake = wake
        self._on_payload = on_payload
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self.notifications = 0
        """Notifications heard since start (read by tests and benchmarks)."""
        self.connections = 0
        """Successful LISTEN connections since start (1 plus the reconnections)."""

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="gaze-event-listener", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _run(self) -> None:
        delay = RECONNECT_FIRST_SECONDS
        while not self._stop.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._connected.set()
                    self.connections += 1
                    delay = RECONNECT_FIRST_SECONDS
                    self._call_wake()  # anything committed while nobody listened
                    self._listen(connection)
            except Exception as error:  # a restart, a network fault: listen again soon
                if not self._stop.is_set():
                    log.warning("job event LISTEN connection lost (%s); reconnecting", error)
            finally:
                if self._connected.is_set():
                    self._connected.clear()
                    self._call_wake()  # brokers poll quickly until we listen again
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    def _listen(self, connection: Any) -> None:
        checked = time.monotonic()
        while not self._stop.is_set():
            heard = False
            for notification in connection.notifies(timeout=WAIT_SECONDS):
                heard = True
                self.notifications += 1
                if self._on_payload is not None:
                    self._on_payload(notification.payload)
                self._call_wake()
            now = time.monotonic()
            if heard:
                checked = now
            elif now - checked >= PING_SECONDS:
                connection.execute("SELECT 1")
                checked = now

    def _call_wake(self) -> None:
        try:
            self._wake()
        except Exception:  # a wake-up must never end the listening thread
            log.warning("waking job event listeners failed", exc_info=True)
