"""An in-memory prefix index over the tag vocabulary, so completion answers in microseconds.

Tag and alias keys are kept sorted (a prefix is a `bisect` range); the most used matches of the
empty, one- and two-letter prefixes are ranked once when the index is built. The index is
built from the database on first use and rebuilt when the vocabulary's version marker (a row
in the settings table, renewed by every import, in any process) changes; the marker is read at
most once per `VERSION_CHECK_SECONDS`.
"""

from __future__ import annotations

import heapq
import threading
import time
import uuid
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import SettingRow, TagAliasRow, TagRow, utcnow

VOCABULARY_VERSION = "tag_vocabulary_version"
VERSION_CHECK_SECONDS = 1.0
PRECOMPUTED_HEAD_LENGTH = 2
PRECOMPUTED_MATCHES = 200
"""More than the largest limit: an alias and its tag may both match and count once."""
KEY_END = "\U0010ffff"

Rank = tuple[int, bool, str]
"""(minus the post count, whether an alias, the name): smaller ranks first."""


@dataclass(frozen=True, slots=True)
class IndexedTag:
    rank: Rank
    name: str
    category: int
    post_count: int
    alias_of: str | None

    @property
    def canonical(self) -> str:
        return self.alias_of or self.name


def renew_version(session: Session) -> None:
    """Mark the vocabulary as changed (inside the transaction that changes it)."""
    row = session.get(SettingRow, VOCABULARY_VERSION)
    if row is None:
        session.add(SettingRow(key=VOCABULARY_VERSION, value=uuid.uuid4().hex, updated_at=utcnow()))
    else:
        row.value = uuid.uuid4().hex
        row.updated_at = utcnow()


def _stored_version(database: Database) -> str:
    with database.session() as session:
        return (
            session.scalar(select(SettingRow.value).where(SettingRow.key == VOCABULARY_VERSION))
            or ""
        )


def _entry(name: str, category: int, post_count: int, alias_of: str | None) -> IndexedTag:
    return IndexedTag(
        (-post_count, alias_of is not None, name), name, category, post_count, alias_of
    )


def _distinct(candidates: Iterable[IndexedTag], limit: int) -> list[IndexedTag]:
    """The first ``limit`` candidates, each tag once (by itself or its first alias)."""
    chosen: dict[str, IndexedTag] = {}
    for entry in candidates:
        chosen.setdefault(entry.canonical, entry)
        if len(chosen) == limit:
            break
    return list(chosen.values())


class TagIndex:
    """Sorted keys of every tag and alias, and the ranked matches of short prefixes."""

    def __init__(self, keyed: list[tuple[str, IndexedTag]]) -> None:
        keyed.sort(key=lambda pair: pair[0])
        self._keys = [key for key, _ in keyed]
        self._entries = [entry for _, entry in keyed]
        self._heads: dict[str, list[IndexedTag]] = {}
        for key, entry in sorted(keyed, key=lambda pair: pair[1].rank):
            for length in range(min(len(key), PRECOMPUTED_HEAD_LENGTH) + 1):
                head = self._heads.setdefault(key[:length], [])
                if len(head) < PRECOMPUTED_MATCHES:
                    head.append(entry)

    @classmethod
    def load(cls, database: Database) -> TagIndex:
        with database.session() as session:
            keyed = [
                (key, _entry(name, category, post_count, None))
                for key, name, category, post_count in session.execute(
                    select(TagRow.key, TagRow.name, TagRow.category, TagRow.post_count)
                )
            ]
            keyed += [
                (key, _entry(alias, category, post_count, name))
                for key, alias, name, category, post_count in session.execute(
                    select(
                        TagAliasRow.key,
                        TagAliasRow.alias,
                        TagAliasRow.name,
                        TagRow.category,
                        TagRow.post_count,
                    ).join(TagRow, TagRow.name == TagAliasRow.name)
                )
            ]
        return cls(keyed)

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, key: str, limit: int) -> list[IndexedTag]:
        """Tags whose key or an alias key starts with ``key``, best ranked first, each once."""
        head = self._heads.get(key) if len(key) <= PRECOMPUTED_HEAD_LENGTH else None
        if head is not None:
            found = _distinct(head, limit)
            if len(found) == limit or len(head) < PRECOMPUTED_MATCHES:
                return found
        start = bisect_left(self._keys, key)
        end = bisect_left(self._keys, key + KEY_END, lo=start)
        matches = islice(self._entries, start, end)
        if end - start <= 2 * limit:
            return _distinct(sorted(matches, key=lambda entry: entry.rank), limit)
        best = heapq.nsmallest(2 * limit, matches, key=lambda entry: entry.rank)
        found = _distinct(best, limit)
        if len(found) < limit:
            found = _distinct(sorted(self._entries[start:end], key=lambda entry: entry.rank), limit)
        return found


class _CachedIndex:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: TagIndex | None = None
        self.version = ""
        self.checked_at = 0.0


_cache: dict[str, _CachedIndex] = {}
_cache_lock = threading.Lock()


def _cached(database: Database) -> _CachedIndex:
    url = database.engine.url.render_as_string(hide_password=False)
    with _cache_lock:
        return _cache.setdefault(url, _CachedIndex())


def current_index(database: Database) -> TagIndex:
    """This process's index of the database's vocabulary, rebuilt if another import (here or
    in another process) renewed the version marker."""
    cached = _cached(database)
    with cached.lock:
        now = time.monotonic()
        if cached.index is None or now - cached.checked_at >= VERSION_CHECK_SECONDS:
            version = _stored_version(database)
            if cached.index is None or version != cached.version:
                cached.index = TagIndex.load(database)
                cached.version = version
            cached.checked_at = now
        return cached.index


def forget_index(database: Database) -> None:
    """Drop this process's index (after an import here: the next search rebuilds it)."""
    cached = _cached(database)
    with cached.lock:
        cached.index = None
