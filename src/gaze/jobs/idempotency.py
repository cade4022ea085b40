"""`Idempotency-Key` for generate: the same key replays the first answer for 24 hours.

The key is reserved (inserted) before anything is queued, so two requests racing with one
key cannot both queue; the second sees the reservation and is told to retry (409). A
request that fails before queueing releases its key, so a corrected request may reuse it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.exc import IntegrityError

from gaze.db.connection import Database
from gaze.db.models import IdempotencyKeyRow, utcnow
from gaze.events.timestamps import as_utc
from gaze.service_errors import Conflict

KEY_LIFETIME = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=2)
"""A reservation without an answer this old belongs to a request that died midway."""
MAX_KEY_LENGTH = 255


class IdempotencyConflict(Conflict):
    """The key was used with another request, or its first request is still running (409)."""


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an idempotency key, or None."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long"
    if not all(" " <= character <= "~" for character in key):
        return "Idempotency-Key must be printable ASCII"
    return None


def request_fingerprint(*parts: Any) -> str:
    """A digest of what the request asks for (its normalised fields, not its formatting)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class IdempotencyKeys:
    def __init__(self, database: Database) -> None:
        self.database = database

    def reserve(self, key: str, fingerprint: str) -> StoredAnswer | None:
        """None: go ahead (the key is now reserved). A StoredAnswer: replay it.

        Raises IdempotencyConflict when the key was used with a different request, or when
        the first request with it is still being processed."""
        now = utcnow()
        for _ in range(3):
            try:
                with self.database.session() as session:
                    session.add(IdempotencyKeyRow(key=key, fingerprint=fingerprint, created_at=now))
                return None
            except IntegrityError:
                pass
            with self.database.session() as session:
                row = session.get(IdempotencyKeyRow, key)
                if row is None:
                    continue  # released meanwhile: try to reserve again
                created = as_utc(row.created_at)
                expired = now - created > KEY_LIFETIME
                abandoned = row.response is None and now - created > ABANDONED_AFTER
                if expired or abandoned:
                    session.delete(row)
                    continue
                if row.fingerprint != fingerprint:
                    raise IdempotencyConflict(
                        "This Idempotency-Key was already used with a different request; "
                        "use a new key for a new request.",
                        code="idempotency_key_reused",
                    )
                if row.response is None or row.status_code is None:
                    raise IdempotencyConflict(
                        "A request with this Idempotency-Key is still being processed; "
                        "retry in a moment.",
                        code="idempotency_key_in_use",
                    )
                return StoredAnswer(status_code=row.status_code, body=dict(row.response))
        raise IdempotencyConflict(
            "This Idempotency-Key is contended; retry in a moment.", code="idempotency_key_in_use"
        )

    def complete(self, key: str, status_code: int, body: dict[str, Any]) -> None:
        with self.database.session() as session:
            session.execute(
                update(IdempotencyKeyRow)
                .where(IdempotencyKeyRow.key == key)
                .values(status_code=status_code, response=body)
            )

    def release(self, key: str) -> None:
        with self.database.session() as session:
            session.execute(delete(IdempotencyKeyRow).where(IdempotencyKeyRow.key == key))

    def prune(self) -> int:
        with self.database.session() as session:
            return cast(
                CursorResult[Any],
                session.execute(
                    delete(IdempotencyKeyRow).where(
                        IdempotencyKeyRow.created_at < utcnow() - KEY_LIFETIME
                    )
                ),
            ).rowcount
