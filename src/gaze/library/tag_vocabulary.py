"""The stored tag vocabulary: replacing it from a CSV (plus the tags the library uses) and
finding tags by prefix."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import ResourceRow, TagAliasRow, TagRow
from gaze.library.tag_csv import VocabularyTag, tag_key
from gaze.library.tag_index import (
    TagIndex,
    current_index,
    forget_index,
    fresh_index,
    renew_version,
)
from gaze.prompts.tags import split_tags

BATCH_SIZE = 5000
UNKNOWN_CATEGORY = -1

PROMPT_SECTIONS = {
    "identity": "fields.identity",
    "fields": "fields",
    "wardrobe": "wardrobe",
    "prompt_tags": "prompt_tags",
}
"""Where prompt text lives in a resource, and how a warning names it (a character's identity
is addressed as the section it is in prompts; a detailer's `prompt_tags` are texts too). The
tags of these sections are checked on save and merged into the vocabulary on import."""


def prefix_key(prefix: str) -> str:
    """A typed prefix as keys are matched; a trailing space stands for an underscore."""
    return "_".join(prefix.lstrip().casefold().split(" "))


@dataclass(frozen=True)
class TagMatch:
    name: str
    category: int
    post_count: int
    alias_of: str | None = None
    """For a match through an alias (``name``): the canonical tag it stands for."""


def bare_tag(tag: str) -> str:
    """A prompt tag without its emphasis: ``(blue eyes:1.2)`` -> ``blue eyes``."""
    text = tag.strip()
    while len(text) >= 2 and text[0] in "([{" and text[-1] in ")]}":
        text = text[1:-1].strip()
    body, colon, weight = text.rpartition(":")
    if colon and body and weight.replace(".", "", 1).strip().isdigit():
        text = body
    return text.strip("()[]{} ")


def is_wildcard(tag: str) -> bool:
    """Wildcard syntax (``__name__``, ``{a|b}``) is resolved later, never checked as a tag."""
    return "__" in tag or "{" in tag or "|" in tag or "$" in tag


def prompt_tags(value: Any) -> Iterator[str]:
    """The bare tags of every prompt text in a (nested) fields value, wildcards skipped."""
    if isinstance(value, str):
        for tag in split_tags(value):
            if not is_wildcard(tag):
                bare = bare_tag(tag)
                if bare:
                    yield bare
    elif isinstance(value, dict):
        for item in value.values():
            yield from prompt_tags(item)
    elif isinstance(value, list):
        for item in value:
            yield from prompt_tags(item)


def _library_tags(session: Session) -> Iterator[str]:
    for document in session.scalars(select(ResourceRow.document)):
        for root in PROMPT_SECTIONS:
            yield from prompt_tags(document.get(root))


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH_SIZE):
        yield rows[start : start + BATCH_SIZE]


def _keys(key: str) -> dict[str, str]:
    return {"key": key, "head1": key[:1], "head2": key[:2]}


def _rows(
    tags: Sequence[VocabularyTag], library: Iterator[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tag_rows: list[dict[str, Any]] = []
    alias_rows: list[dict[str, Any]] = []
    names: set[str] = set()
    keys: set[str] = set()
    for tag in tags:
        names.add(tag.name)
        keys.add(tag_key(tag.name))
        tag_rows.append(
            {
                "name": tag.name,
                **_keys(tag_key(tag.name)),
                "category": tag.category,
                "post_count": tag.post_count,
                "aliases": list(tag.aliases),
            }
        )
    aliases: set[str] = set()
    for tag in tags:
        for alias in tag.aliases:
            if alias not in aliases and alias not in names:
                aliases.add(alias)
                alias_rows.append({"alias": alias, "key": tag_key(alias), "name": tag.name})
    for used in library:
        key = tag_key(used)
        if key and key not in keys and len(used) <= 300:
            keys.add(key)
            tag_rows.append(
                {"name": used, **_keys(key), "category": UNKNOWN_CATEGORY, "post_count": 0}
                | {"aliases": []}
            )
    return tag_rows, alias_rows


def _matches(index: TagIndex, prefix: str, limit: int) -> list[TagMatch]:
    return [
        TagMatch(entry.name, entry.category, entry.post_count, entry.alias_of)
        for entry in index.search(prefix_key(prefix), limit)
    ]


class TagVocabulary:
    """The tags prompts are checked against and completed from."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def replace(self, tags: Sequence[VocabularyTag]) -> int:
        """Store these tags (and every tag the library uses) instead of the current vocabulary,
        in one transaction; the number of tags stored."""
        with self._database.session() as session:
            tag_rows, alias_rows = _rows(tags, _library_tags(session))
            session.execute(delete(TagAliasRow))
            session.execute(delete(TagRow))
            for table, rows in ((TagRow.__table__, tag_rows), (TagAliasRow.__table__, alias_rows)):
                for batch in _batches(rows):
                    session.execute(cast(Table, table).insert(), batch)
            renew_version(session)
        forget_index(self._database)
        return len(tag_rows)

    def count(self) -> int:
        with self._database.session() as session:
            return session.scalar(select(func.count()).select_from(TagRow)) or 0

    def has_imported_tags(self) -> bool:
        """Whether a CSV was imported (tags only the library uses do not count)."""
        with self._database.session() as session:
            found = session.scalar(
                select(TagRow.name).where(TagRow.category != UNKNOWN_CATEGORY).limit(1)
            )
        return found is not None

    def search(self, prefix: str, limit: int) -> list[TagMatch]:
        """Tags whose name or an alias starts with ``prefix`` (normalised like `tag_key`),
        the most used first; a tag is listed once. Answered from this process's `TagIndex`
        (loaded or checked against the database first when due)."""
        return _matches(current_index(self._database), prefix, limit)

    def search_without_waiting(self, prefix: str, limit: int) -> list[TagMatch] | None:
        """`search` when the index is at hand and needs no database check; else None (an
        event loop then runs `search` in a thread)."""
        index = fresh_index(self._database)
        return None if index is None else _matches(index, prefix, limit)

    def lookup(self, names: Sequence[str]) -> dict[str, str | None]:
        """For each key of ``names`` that is known: None for a tag, the canonical name for an
        alias. Unknown keys are absent."""
        keys = sorted({tag_key(name) for name in names})
        known: dict[str, str | None] = {}
        with self._database.session() as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                for key in session.scalars(select(TagRow.key).where(TagRow.key.in_(chunk))):
                    known[key] = None
                for key, name in session.execute(
                    select(TagAliasRow.key, TagAliasRow.name).where(TagAliasRow.key.in_(chunk))
                ):
                    known.setdefault(key, name)
        return known
