"""Wordlists: named lists of lines that prompt wildcards (``__name__``) pick from.

A wordlist is stored beside the resources (table ``resources``, category ``wordlists``) but
is not a resource category: presets have no wordlist slot. Its id may hold ``/`` to group
wordlists in folders, as A1111's wildcard files do (``colors/warm``). Blank lines and lines
starting with ``#`` are kept in the document but never picked (`usable_lines`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, field_validator

from gaze.library.fields import Description, Name, RelativePath, Tags, _error
from gaze.library.schema import StrictModel
from gaze.library.text_rules import MAX_ID_LENGTH

WORDLISTS = "wordlists"
"""The category column of stored wordlists (not one of `schema.CATEGORIES`)."""
MAX_LINES = 100_000
MAX_LINE_LENGTH = 500
MAX_WORDLIST_BYTES = 16 * 1024 * 1024
"""The largest wordlist body (JSON or text) the API accepts."""

_WORDLIST_ID = re.compile(r"[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)*")
_LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def wordlist_id_problem(value: str) -> str | None:
    """Why `value` is not a wordlist id (letters, digits, _ with / between parts), or None."""
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long; the limit is {MAX_ID_LENGTH}"
    if not _WORDLIST_ID.fullmatch(value):
        return (
            "may only contain A-Z, a-z, 0-9 and _, with '/' between folder names "
            f"(as in 'colors/warm'), got {value!r}"
        )
    return None


def _check_wordlist_id(value: Any) -> Any:
    if isinstance(value, str):
        problem = wordlist_id_problem(value)
        if problem:
            raise _error(problem)
    return value


def _check_lines(value: Any) -> Any:
    if not isinstance(value, list):
        return value  # the list type reports it
    if len(value) > MAX_LINES:
        raise _error(f"has {len(value)} lines; the limit is {MAX_LINES}")
    for number, line in enumerate(value, start=1):
        if not isinstance(line, str):
            raise _error(f"line {number} must be a string, got {type(line).__name__}")
        if len(line) > MAX_LINE_LENGTH:
            raise _error(f"line {number} is {len(line)} characters long; the limit is 500")
        if _LINE_BREAK_OR_CONTROL.search(line):
            raise _error(f"line {number} holds a line break or a control character")
    return value


WordlistId = Annotated[str, BeforeValidator(_check_wordlist_id)]
Lines = Annotated[list[str], BeforeValidator(_check_lines)]


def wordlist_slug(wordlist_id: str) -> str:
    """The slug of a wordlist id: ``/`` written as ``__`` (``colors/warm`` -> ``colors__warm``)."""
    return wordlist_id.replace("/", "__")


class Wordlist(StrictModel):
    """A named list of lines for ``__id__`` wildcards."""

    category: ClassVar[str] = WORDLISTS

    id: WordlistId
    slug: str = Field(default="", validate_default=True)
    """Always `wordlist_slug(id)`; filled in when missing."""
    name: Name
    description: Description = ""
    lines: Lines = Field(default_factory=list)
    tags: Tags = Field(default_factory=dict)
    is_favourite: bool = False
    is_nsfw: bool = False
    cover: RelativePath | None = None

    @field_validator("slug")
    @classmethod
    def _slug_matches_id(cls, value: str, info: Any) -> str:
        owner = info.data.get("id")
        if owner is None:
            return value
        expected = wordlist_slug(owner)
        if value and value != expected:
            raise _error(f"must be {expected!r}, the id with '/' written as '__'")
        return expected

    def usable_lines(self) -> tuple[str, ...]:
        """The lines wildcards pick from: stripped, without blanks and ``#`` comments."""
        return usable_lines(self.lines)


def usable_lines(lines: Sequence[str]) -> tuple[str, ...]:
    """`lines` stripped, without blank lines and lines starting with ``#``."""
    kept = (line.strip() for line in lines)
    return tuple(line for line in kept if line and not line.startswith("#"))


def lines_from_text(text: str) -> list[str]:
    """The lines of a ``.txt`` wordlist (any line ending, a leading BOM ignored), trailing
    spaces removed."""
    return [line.rstrip() for line in text.removeprefix("\ufeff").splitlines()]
