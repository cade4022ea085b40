"""Job events in the database: appended inside the transaction that changes the job.

The autoincrement id orders events across processes. Writers append within their own
transaction and call `committed()` afterwards, which wakes this process's listeners at once.
On PostgreSQL the same transaction sends a NOTIFY, which a LISTEN thread in every process
that follows events turns into the same wake-up (`gaze.events.pg_notify`); elsewhere other
processes find the new rows by polling `read_after`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import JobEventRow, utcnow
from gaze.events.pg_notify import (
    NotificationListener,
    listen_connector,
    notify_committed_events,
    supports_notifications,
)
from gaze.events.types import JobEvent

log = logging.getLogger(__name__)

Listener = Callable[[], None]


@dataclass(frozen=True)
class NewEvent:
    type: str
    job_id: str
    batch_id: str | None
    job: dict[str, Any]


class EventStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self.brokers: dict[object, Any] = {}
        """One EventBroker per event loop (see gaze.events.broker.broker_for)."""
        self.notifies = supports_notifications(database.engine)
        """Whether committed events are pushed between processes (PostgreSQL + psycopg)."""
        self._notification_listener: NotificationListener | None = None

    # -- writing ---------------------------------------------------------------------

    def append(self, session: Session, events: Sequence[NewEvent]) -> list[JobEvent]:
        """Insert events in the caller's transaction; returns them with their ids."""
        if not events:
            return []
        now = utcnow()
        params = [
            {
                "job_id": event.job_id,
                "batch_id": event.batch_id,
                "type": event.type,
                "data": event.job,
                "created_at": now,
            }
            for event in events
        ]
        ids = session.scalars(
            insert(JobEventRow).returning(JobEventRow.id, sort_by_parameter_order=True), params
        ).all()
        appended = [
            JobEvent(
                id=int(event_id),
                type=event.type,
                job_id=event.job_id,
                batch_id=event.batch_id,
                job=event.job,
                created_at=now,
            )
            for event_id, event in zip(ids, events, strict=True)
        ]
        if self.notifies:
            notify_committed_events(session, int(ids[-1]), [event.job_id for event in events])
        return appended

    def add_listener(self, listener: Listener) -> None:
        """Call `listener()` (from the writing thread) after each commit with new events."""
        with self._lock:
            self._listeners.append(listener)
            if self.notifies and self._notification_listener is None:
                self._notification_listener = NotificationListener(
                    listen_connector(self.database.engine), self.committed
                )
                self._notification_listener.start()
                self.database.on_dispose(self.close)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def pushed(self) -> bool:
        """Whether events of other processes arrive by notification right now (the LISTEN
        connection is up); when not, followers must poll the table often."""
        listener = self._notification_listener
        return listener is not None and listener.connected

    @property
    def notification_listener(self) -> NotificationListener | None:
        """The LISTEN thread, once a follower started it (PostgreSQL only)."""
        return self._notification_listener

    def close(self) -> None:
        """Stop listening for other processes' events (the process is shutting down)."""
        with self._lock:
            listener, self._notification_listener = self._notification_listener, None
        if listener is not None:
            listener.stop()

    def committed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # a listener must never break the job that emitted the event
                log.warning("event listener failed", exc_info=True)

    # -- reading ---------------------------------------------------------------------

    def read_after(
        self,
        after: int,
        *,
        job_id: str | None = None,
        batch_id: str | None = None,
        up_to: int | None = None,
        limit: int = 1000,
    ) -> list[JobEvent]:
        """Events with id > `after` (and <= `up_to`), oldest first, optionally filtered."""
        conditions = [JobEventRow.id > after]
        if up_to is not None:
            conditions.append(JobEventRow.id <= up_to)
        if job_id is not None:
            conditions.append(JobEventRow.job_id == job_id)
        if batch_id is not None:
            conditions.append(JobEventRow.batch_id == batch_id)
        statement = (
            select(
                JobEventRow.id,
                JobEventRow.type,
                JobEventRow.job_id,
                JobEventRow.batch_id,
                JobEventRow.data,
                JobEventRow.created_at,
            )
            .where(and_(*conditions))
            .order_by(JobEventRow.id)
            .limit(limit)
        )
        with self.database.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [
            JobEvent(
                id=int(row.id),
                type=row.type,
                job_id=row.job_id,
                batch_id=row.batch_id,
                job=row.data,
                created_at=row.created_at,
            )
            for row in rows
        ]

    def head(self) -> int:
        """The id of the newest event, 0 when there is none."""
        with self.database.engine.connect() as connection:
            return int(connection.execute(select(func.max(JobEventRow.id))).scalar() or 0)

    def oldest(self) -> int | None:
        with self.database.engine.connect() as connection:
            value = connection.execute(select(func.min(JobEventRow.id))).scalar()
        return int(value) if value is not None else None

    def covers(self, after: int) -> bool:
        """Whether every event after `after` is still stored: none was pruned, and `after`
        is not from the future (ids never restart, so that means another database)."""
        head = self.head()
        if after > head:
            return False
        oldest = self.oldest()
        return oldest is None or oldest <= after + 1 or after == head

    def prune(self, before: datetime) -> int:
        """Delete events older than `before`, always keeping the newest one."""
        head = self.head()
        with self.database.session() as session:
            return cast(
                CursorResult[Any],
                session.execute(
                    delete(JobEventRow).where(
                        and_(JobEventRow.created_at < before, JobEventRow.id < head)
                    )
                ),
            ).rowcount
