"""The rules every text from outside obeys: valid Unicode, sensible lengths, id characters.

One place for the limits, so the schemas, the API, the web forms and the templates' ``maxlength``
attributes agree. Each ``*_problem`` function answers why a value breaks a rule (a message to
put after the field's name), or None when it does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gaze.prompts.tags import split_tags

MAX_ID_LENGTH = 128
"""A resource or preset id."""
MAX_NAME_LENGTH = 120
"""A display name, a field's section or key, a tag's key."""
MAX_TAG_LENGTH = 200
"""One prompt tag (the text between commas) or one organisational tag value."""
MAX_TAGS = 300
"""Tags in one prompt text, or values in one list field."""
MAX_PROMPT_LENGTH = 8000
"""A free-text prompt: a field value, a prefix, a preset's positive/negative, an extra prompt."""
MAX_DESCRIPTION_LENGTH = 2000
"""A description or note."""
MAX_PATH_LENGTH = 1000
"""A relative file path (checkpoint, LoRA, VAE, cover)."""

ID_CHARACTERS = "letters, digits and _"
_ID = re.compile(r"[A-Za-z0-9_]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

Location = tuple[str | int, ...]


def surrogate_problem(text: str) -> str | None:
    """A lone UTF-16 surrogate (``"\\ud800"`` in JSON) cannot be stored or encoded as UTF-8."""
    found = _LONE_SURROGATE.search(text)
    if found is None:
        return None
    return f"contains a lone surrogate (invalid Unicode) at character {found.start() + 1}"


def length_problem(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"is {len(text)} characters long; the limit is {limit}"
    return None


def text_problem(text: str, limit: int) -> str | None:
    """Invalid Unicode or longer than `limit` characters."""
    return surrogate_problem(text) or length_problem(text, limit)


def prompt_problem(text: str) -> str | None:
    """A prompt text: at most MAX_PROMPT_LENGTH characters, MAX_TAGS tags of MAX_TAG_LENGTH."""
    problem = text_problem(text, MAX_PROMPT_LENGTH)
    if problem:
        return problem
    tags = split_tags(text)
    if len(tags) > MAX_TAGS:
        return f"has {len(tags)} tags; the limit is {MAX_TAGS}"
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH:
            return (
                f"has a tag of {len(tag)} characters ({tag[:30]!r}...); "
                f"the limit is {MAX_TAG_LENGTH} per tag (separate tags with commas)"
            )
    return None


def tag_value_problem(text: str) -> str | None:
    """An organisational tag value such as ``"casual"``."""
    return text_problem(text, MAX_TAG_LENGTH)


def list_problem(items: list[Any]) -> str | None:
    if len(items) > MAX_TAGS:
        return f"has {len(items)} items; the limit is {MAX_TAGS}"
    return None


def id_problem(value: str) -> str | None:
    """An id: 1 to MAX_ID_LENGTH letters, digits and _ (it is used in URLs and file names)."""
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long; the limit is {MAX_ID_LENGTH}"
    if not _ID.fullmatch(value):
        shown = value if surrogate_problem(value) is None else value.encode("utf-8", "replace")
        return f"may only contain {ID_CHARACTERS} (A-Z, a-z, 0-9, _), got {shown!r}"
    return None


def lone_surrogates(value: Any, location: Location = ()) -> Iterator[Location]:
    """Where a JSON-like value holds a string (or a key) with a lone surrogate."""
    if isinstance(value, str):
        if surrogate_problem(value):
            yield location
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and surrogate_problem(key):
                yield (*location, key.encode("utf-8", "replace").decode(), "[key]")
            else:
                yield from lone_surrogates(item, (*location, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from lone_surrogates(item, (*location, index))
