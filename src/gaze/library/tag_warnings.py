"""Save-time warnings for prompt tags the imported vocabulary does not know, or knows as an
alias. The text is never changed; without an imported vocabulary nothing is reported."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gaze.library.tag_csv import tag_key
from gaze.library.tag_vocabulary import TagVocabulary, prompt_tags

PROMPT_SECTIONS = {"identity": "fields.identity", "fields": "fields", "wardrobe": "wardrobe"}
"""Where prompt text lives in a resource, and how a warning names it (a character's identity
is addressed as the section it is in prompts)."""


def _located_tags(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(``fields.section.key`` address, bare tag) for every prompt tag of a resource."""
    for root, address in PROMPT_SECTIONS.items():
        yield from _walk(address, document.get(root))


def _walk(address: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(f"{address}.{key}", item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(address, item)
    elif isinstance(value, str):
        for tag in prompt_tags(value):
            yield address, tag


def tag_warnings(document: Mapping[str, Any], vocabulary: TagVocabulary) -> list[str]:
    """One warning per alias and per unknown tag of the document's prompt fields."""
    located = list(_located_tags(document))
    if not located or not vocabulary.has_imported_tags():
        return []
    known = vocabulary.lookup([tag for _, tag in located])
    warnings: list[str] = []
    for address, tag in located:
        key = tag_key(tag)
        if key not in known:
            warnings.append(f"{address}: unknown tag {tag!r}")
        elif known[key] is not None:
            warnings.append(f"{address}: {tag!r} is an alias of {known[key]!r}")
    return warnings
