"""An in-memory prefix index over the tag vocabulary, so completion answers in microseconds.

Tag and alias keys are kept sorted (a prefix is a `bisect` range); the most used matches of the
empty, one- and two-letter prefixes are ranked once when the index is built. The index is
built from the database on first use and rebuilt when the vocabulary's version marker (a row
in the settings table, renewed by every import, in any process) changes; the marker is read at
most once per `VERSION_CHECK_SECONDS`.
"""

from __future__ import annotations

import threading
import time
import uuid
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import SettingRow, TagAliasRow, TagRow, utcnow

VOCABULARY_VERSION = "tag_vocabulary_version"
VERSION_CHECK_SECONDS = 1.0
PRECOMPUTED_HEAD_LENGTH = 2
PRECOMPUTED_MATCHES = 200
"""More than the largest limit: an alias and its tag may both match and count once."""
CROWDED_RANGE = 1000
MAX_REMEMBERED = 20_000
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
    """Every tag and alias ranked once (an ordinal each: 0 is the most used), their keys in
    sorted order with each key's ordinal, and the best ordinals of short and crowded prefixes.

    A prefix is a `bisect` range of keys; its best matches are the smallest ordinals in the
    range (a sort of plain integers). Empty, one- and two-letter prefixes are ranked when the
    index is built, and a longer prefix matching over `CROWDED_RANGE` keys the first time it
    is asked (at most `MAX_REMEMBERED` of them).
    """

    def __init__(self, keyed: list[tuple[str, IndexedTag]]) -> None:
        by_rank = sorted(keyed, key=lambda pair: pair[1].rank)
        self._ranked = [entry for _, entry in by_rank]
        self._ordinals = sorted(range(len(by_rank)), key=lambda ordinal: by_rank[ordinal][0])
        self._keys = [by_rank[ordinal][0] for ordinal in self._ordinals]
        self._best: dict[str, list[int]] = {}
        for ordinal, (key, _) in enumerate(by_rank):
            for length in range(min(len(key), PRECOMPUTED_HEAD_LENGTH) + 1):
                best = self._best.setdefault(key[:length], [])
                if len(best) < PRECOMPUTED_MATCHES:
                    best.append(ordinal)

    def _range(self, key: str) -> tuple[int, int]:
        start = bisect_left(self._keys, key)
        return start, bisect_left(self._keys, key + KEY_END, lo=start)

    def _best_ordinals(self, key: str) -> list[int]:
        """The smallest ordinals (at most `PRECOMPUTED_MATCHES`) of the keys starting with
        ``key``, in order."""
        best = self._best.get(key)
        if best is not None:
            return best
        if len(key) <= PRECOMPUTED_HEAD_LENGTH:
            return []  # every short prefix that has a match was ranked when building
        start, end = self._range(key)
        best = sorted(self._ordinals[start:end])[:PRECOMPUTED_MATCHES]
        if end - start > CROWDED_RANGE and len(self._best) < MAX_REMEMBERED:
            self._best[key] = best
        return best

    def search(self, key: str, limit: int) -> list[IndexedTag]:
        """Tags whose key or an alias key starts with ``key``, best ranked first, each once."""
        best = self._best_ordinals(key)
        found = _distinct((self._ranked[ordinal] for ordinal in best), limit)
        if len(found) < limit and len(best) == PRECOMPUTED_MATCHES:
            start, end = self._range(key)  # aliases of listed tags took places: rank them all
            every = sorted(self._ordinals[start:end])
            found = _distinct((self._ranked[ordinal] for ordinal in every), limit)
        return found

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


def fresh_index(database: Database) -> TagIndex | None:
    """This process's index if its version was checked within `VERSION_CHECK_SECONDS`, without
    waiting or touching the database (for an event loop); else None: use `current_index`."""
    cached = _cached(database)
    if not cached.lock.acquire(blocking=False):
        return None
    try:
        fresh = time.monotonic() - cached.checked_at < VERSION_CHECK_SECONDS
        return cached.index if fresh else None
    finally:
        cached.lock.release()


def forget_index(database: Database) -> None:
    """Drop this process's index (after an import here: the next search rebuilds it)."""
    cached = _cached(database)
    with cached.lock:
        cached.index = None
