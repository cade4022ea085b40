"""Reading an A1111 tag-autocomplete CSV: ``name,category,post_count,"alias1,alias2"``.

The header line is optional. A bad line is reported with its line number and skipped; reading
never fails on content.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_TAG_NAME_LENGTH = 300
HEADER_NAMES = frozenset({"name", "tag"})


@dataclass(frozen=True)
class VocabularyTag:
    name: str
    category: int
    post_count: int
    aliases: tuple[str, ...] = ()


@dataclass
class TagCsv:
    """The tags of a CSV and its bad lines (``line N: reason``)."""

    tags: list[VocabularyTag] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def tag_key(text: str) -> str:
    """A tag as prefixes are matched: trimmed, lower case, spaces written as underscores."""
    return "_".join(text.strip().casefold().split())


def _integer(text: str, default: int) -> int:
    text = text.strip()
    return default if text == "" else int(text)


def _parse_row(row: list[str]) -> VocabularyTag:
    name = row[0].strip()
    if not name:
        raise ValueError("the tag name is empty")
    if len(name) > MAX_TAG_NAME_LENGTH:
        raise ValueError(f"the tag name is longer than {MAX_TAG_NAME_LENGTH} characters")
    try:
        category = _integer(row[1], -1) if len(row) > 1 else -1
        post_count = _integer(row[2], 0) if len(row) > 2 else 0
    except ValueError:
        raise ValueError("category and post count must be whole numbers") from None
    if post_count < 0:
        raise ValueError("the post count is negative")
    aliases = row[3].split(",") if len(row) > 3 else []
    cleaned = tuple(
        alias.strip()
        for alias in aliases
        if alias.strip() and len(alias.strip()) <= MAX_TAG_NAME_LENGTH
    )
    return VocabularyTag(name, category, post_count, cleaned)


def read_tag_csv(lines: Iterable[str]) -> TagCsv:
    """Every good line of the CSV as a tag; a name seen again is reported and skipped."""
    result = TagCsv()
    seen: set[str] = set()
    index = 0
    try:
        for index, row in enumerate(csv.reader(lines), start=1):
            if not row or not "".join(row).strip():
                continue
            if index == 1 and row[0].strip().casefold() in HEADER_NAMES:
                continue
            try:
                tag = _parse_row(row)
            except ValueError as problem:
                result.problems.append(f"line {index}: {problem}")
                continue
            if tag.name in seen:
                result.problems.append(f"line {index}: {tag.name!r} is listed twice")
                continue
            seen.add(tag.name)
            result.tags.append(tag)
    except csv.Error as problem:
        result.problems.append(f"line {index + 1}: {problem}; the rest of the file is skipped")
    return result
