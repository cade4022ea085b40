"""Every API key of this process, in memory: checking a key costs a dictionary lookup.

The registry reloads when the stored keys change: it reads the default key's hash and the
keys' version row at most every `refresh_seconds` (so a key revoked by another process stops
working within that time), at once after a change made in this process, and before
refusing a key it does not know (so a key just made elsewhere works at once). Key use is
counted in memory and written back at most every `flush_seconds`.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import SettingRow, utcnow
from gaze.security.api_keys import API_KEY_HASH, key_digest
from gaze.security.named_keys import KEYS_VERSION, active_principals, record_key_use
from gaze.security.principal import DEFAULT_PRINCIPAL, Principal

REFRESH_SECONDS = 0.5
MISS_REFRESH_SECONDS = 0.05
FLUSH_SECONDS = 5.0


class KeyRegistry:
    def __init__(
        self,
        database: Database,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self.flush_seconds = flush_seconds
        self._by_hash: dict[str, Principal] = {}
        self._version: tuple[str | None, str | None] | None = None
        self._checked_at = float("-inf")
        self._flushed_at = time.monotonic()
        self._uses: dict[str, tuple[datetime, int]] = {}
        self._lock = threading.Lock()
        self._uses_lock = threading.Lock()

    def needs_refresh(self) -> bool:
        return time.monotonic() - self._checked_at >= self.refresh_seconds

    def may_refresh_on_miss(self) -> bool:
        return time.monotonic() - self._checked_at >= MISS_REFRESH_SECONDS

    def invalidate(self) -> None:
        """After a change in this process: the next lookup reloads."""
        self._checked_at = float("-inf")
        self._version = None

    def lookup(self, secret: str) -> Principal | None:
        principal = self._by_hash.get(key_digest(secret))
        if principal is not None and principal.key_id is not None:
            self._count_use(principal.key_id)
        return principal

    def refresh(self, *, interval: float = 0.0) -> None:
        """Reload the keys when their version or the default key changed; flush key use.
        With `interval`, nothing happens when another thread checked within it (many
        requests that found the keys stale at once make one database read)."""
        with self._lock:
            if time.monotonic() - self._checked_at < interval:
                return
            with self.database.session() as session:
                stored = dict(
                    session.execute(
                        select(SettingRow.key, SettingRow.value).where(
                            SettingRow.key.in_((API_KEY_HASH, KEYS_VERSION))
                        )
                    ).all()
                )
                version = (stored.get(API_KEY_HASH), stored.get(KEYS_VERSION))
                if version != self._version:
                    by_hash = active_principals(session)
                    if version[0] is not None:
                        by_hash[version[0]] = DEFAULT_PRINCIPAL
                    self._by_hash = by_hash
                    self._version = version
            self._checked_at = time.monotonic()
        if time.monotonic() - self._flushed_at >= self.flush_seconds:
            self.flush_uses()

    def flush_uses(self) -> None:
        with self._uses_lock:
            uses, self._uses = self._uses, {}
            self._flushed_at = time.monotonic()
        uses.pop(DEFAULT_PRINCIPAL.key_id or "", None)
        record_key_use(self.database, uses)

    def _count_use(self, key_id: str) -> None:
        with self._uses_lock:
            _, count = self._uses.get(key_id, (None, 0))
            self._uses[key_id] = (utcnow(), count + 1)
