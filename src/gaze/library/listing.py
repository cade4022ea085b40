"""Listing resources and presets a page at a time: filters, order and opaque cursors.

Lists are ordered favourites first, then by name, then by id, and paged by keyset: a cursor
holds the sort key of the last item of a page, so pages stay stable while rows are added or
removed elsewhere in the list. Text search (``q``) and the flags are filtered in SQL; tag
filters (``{"key": "value"}``, matched as `gaze.library.view.tag_values_match` does) are
applied to the rows as they are scanned in order, so they work alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, not_, or_
from sqlalchemy.orm import Session

from gaze.db.models import PresetRow, ResourceRow
from gaze.library.view import tag_values_match
from gaze.outside_json import load_json
from gaze.service_errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_QUERY_LENGTH = 200
TAG_SCAN_BATCH = 500
"""Rows read at a time while a tag filter looks for a page's items."""

SortKey = tuple[Any, ...]
"""(is_favourite, name, id[, category]): where an item sits in a list."""
ListedRow = type[ResourceRow] | type[PresetRow]


@dataclass(frozen=True)
class Page:
    """One page of a list; `next_cursor` fetches the next page, None on the last one."""

    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class ListFilter:
    """A validated list request (see `list_filter`)."""

    q: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    favourite: bool | None = None
    nsfw: bool | None = None
    limit: int | None = DEFAULT_LIMIT
    """None: every matching item in one page."""
    after: SortKey | None = None
    cursor: str | None = None


def encode_cursor(key: SortKey) -> str:
    favourite, *rest = key
    text = json.dumps([int(favourite), *rest], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    """The sort key a cursor holds; Invalid when it is not a cursor this module made."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = load_json(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        value = None
    if (
        isinstance(value, list)
        and len(value) in (3, 4)
        and value[0] in (0, 1)
        and not isinstance(value[0], bool)
        and all(isinstance(part, str) for part in value[1:])
    ):
        return (bool(value[0]), *value[1:])
    raise _bad_cursor(cursor)


def _bad_cursor(cursor: str) -> Invalid:
    return Invalid(
        [f"cursor: {cursor[:40]!r} is not a cursor from a previous page of this list"],
        code="invalid_cursor",
    )


def tag_filter_from(values: Sequence[str]) -> dict[str, str]:
    """``["key:value", ...]`` (the API's repeated ``tag`` parameter) as a tag filter; Invalid
    (code ``invalid_filter``) for a value without ``:`` or a key given twice."""
    tags: dict[str, str] = {}
    problems = []
    for value in values:
        key, separator, wanted = value.partition(":")
        key, wanted = key.strip(), wanted.strip()
        if not separator or not key or not wanted:
            problems.append(f"tag: {value!r} is not key:value")
        elif key in tags:
            problems.append(f"tag: the key {key!r} is given twice")
        else:
            tags[key] = wanted
    if problems:
        raise Invalid(problems, code="invalid_filter")
    return tags


def list_filter(
    *,
    q: str | None = None,
    tags: Mapping[str, str] | None = None,
    favourite: bool | None = None,
    nsfw: bool | None = None,
    limit: int | None = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> ListFilter:
    """Check a list request; Invalid (code ``invalid_filter``) names every bad parameter."""
    problems: list[str] = []
    query = q.strip() if q else None
    if query and len(query) > MAX_QUERY_LENGTH:
        problems.append(f"q: at most {MAX_QUERY_LENGTH} characters")
    checked_tags: dict[str, str] = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key.strip():
            problems.append("tag: a tag filter needs a key, as in key:value")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"tag: the tag filter {key!r} needs a value, as in {key}:value")
        else:
            checked_tags[key.strip()] = value.strip()
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT
    ):
        problems.append(f"limit: must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
    if problems:
        raise Invalid(problems, code="invalid_filter")
    return ListFilter(
        q=query or None,
        tags=checked_tags,
        favourite=favourite,
        nsfw=nsfw,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
        cursor=cursor,
    )


def _conditions(row: ListedRow, request: ListFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if request.q:
        conditions.append(
            or_(
                row.name.icontains(request.q, autoescape=True),
                row.id.icontains(request.q, autoescape=True),
            )
        )
    if request.favourite is not None:
        conditions.append(row.is_favourite == request.favourite)
    if request.nsfw is not None:
        conditions.append(row.is_nsfw == request.nsfw)
    return conditions


def _later(columns: Sequence[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after `values` in the ascending order of `columns` (lexicographic)."""
    first, value = columns[0], values[0]
    if len(columns) == 1:
        return first > value
    return or_(first > value, and_(first == value, _later(columns[1:], values[1:])))


def _after(row: ListedRow, columns: Sequence[Any], key: SortKey) -> ColumnElement[bool]:
    favourite, *values = key
    later_in_group = _later(columns, values)
    if favourite:
        return or_(not_(row.is_favourite), and_(row.is_favourite, later_in_group))
    return and_(not_(row.is_favourite), later_in_group)


def keyset_page(
    connection: Connection | Session,
    statement: Select[Any],
    row: ListedRow,
    request: ListFilter,
    item_of: Callable[[Row[Any]], dict[str, Any]],
    columns: Sequence[Any] | None = None,
) -> Page:
    """One page of `statement`'s rows, filtered and ordered as `request` says: favourites
    first, then by `columns` (default name and id). The statement selects ``is_favourite``,
    the `columns` by their names, and ``tags`` when the request filters by tag."""
    columns = list(columns) if columns is not None else [row.name, row.id]
    names = [column.key for column in columns]
    if request.after is not None and len(request.after) != len(columns) + 1:
        raise _bad_cursor(request.cursor or "")

    def sort_key(found: Row[Any]) -> SortKey:
        return (bool(found.is_favourite), *(getattr(found, name) for name in names))

    statement = statement.where(*_conditions(row, request)).order_by(
        row.is_favourite.desc(), *columns
    )
    wanted = None if request.limit is None else request.limit + 1
    batch = wanted
    if request.tags:
        batch = None if wanted is None else max(wanted, TAG_SCAN_BATCH)
    found: list[Row[Any]] = []
    after = request.after
    while True:
        query = statement if after is None else statement.where(_after(row, columns, after))
        rows = connection.execute(query if batch is None else query.limit(batch)).all()
        for candidate in rows:
            if request.tags and not tag_values_match(candidate.tags or {}, request.tags):
                continue
            found.append(candidate)
            if wanted is not None and len(found) == wanted:
                break
        full = wanted is not None and len(found) == wanted
        if full or batch is None or len(rows) < batch:
            break
        after = sort_key(rows[-1])
    next_cursor = None
    if request.limit is not None and len(found) > request.limit:
        found = found[: request.limit]
        next_cursor = encode_cursor(sort_key(found[-1]))
    return Page([item_of(candidate) for candidate in found], next_cursor)


def sfw_listing(nsfw: bool | None, sfw_only: bool) -> tuple[bool | None, bool]:
    """(the ``nsfw`` filter to list with, whether anything can match) for a caller: a
    safe-for-work key lists only what is not flagged NSFW, and nothing when it asks for NSFW."""
    if not sfw_only:
        return nsfw, True
    return False, not nsfw


def hidden_from(document: Mapping[str, Any] | None, sfw_only: bool) -> bool:
    """True when a safe-for-work caller may not see this document (flagged NSFW): it is
    answered as missing."""
    return document is not None and sfw_only and bool(document.get("is_nsfw"))
