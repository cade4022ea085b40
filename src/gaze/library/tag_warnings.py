"""Save-time warnings for prompt tags the imported vocabulary does not know, or knows as an
alias. The text is never changed; without an imported vocabulary nothing is reported."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gaze.library.tag_csv import tag_key
from gaze.library.tag_vocabulary import PROMPT_SECTIONS, TagVocabulary, prompt_tags

__all__ = ["PROMPT_SECTIONS", "TagFinding", "tag_findings", "tag_warnings"]


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


SUGGESTIONS = 3


@dataclass(frozen=True)
class TagFinding:
    """A prompt tag the vocabulary knows only as an alias (``canonical`` is the tag), or not
    at all (``suggestions``: known tags that start like it)."""

    field: str
    tag: str
    kind: Literal["alias", "unknown"]
    canonical: str | None = None
    suggestions: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        if self.kind == "alias":
            return f"{self.field}: {self.tag!r} is an alias of {self.canonical!r}"
        return f"{self.field}: unknown tag {self.tag!r}"

    def as_json(self) -> dict[str, Any]:
        """``{"field", "tag", "kind", "canonical"?, "suggestions"?}``."""
        found: dict[str, Any] = {"field": self.field, "tag": self.tag, "kind": self.kind}
        if self.canonical is not None:
            found["canonical"] = self.canonical
        if self.suggestions:
            found["suggestions"] = list(self.suggestions)
        return found


def _suggestions(tag: str, vocabulary: TagVocabulary) -> tuple[str, ...]:
    """Known tags that start like ``tag``: as a whole, else its first half."""
    for prefix in (tag, tag[: max(3, len(tag) // 2)]):
        matches = vocabulary.search(prefix, SUGGESTIONS)
        if matches:
            return tuple(dict.fromkeys(match.alias_of or match.name for match in matches))
    return ()


def tag_findings(document: Mapping[str, Any], vocabulary: TagVocabulary) -> list[TagFinding]:
    """One finding per alias and per unknown tag of the document's prompt fields (each tag
    once per field)."""
    located = list(dict.fromkeys(_located_tags(document)))
    if not located or not vocabulary.has_imported_tags():
        return []
    known = vocabulary.lookup([tag for _, tag in located])
    findings: list[TagFinding] = []
    for address, tag in located:
        key = tag_key(tag)
        if key not in known:
            findings.append(
                TagFinding(address, tag, "unknown", suggestions=_suggestions(tag, vocabulary))
            )
        elif known[key] is not None:
            findings.append(TagFinding(address, tag, "alias", canonical=known[key]))
    return findings


def tag_warnings(document: Mapping[str, Any], vocabulary: TagVocabulary) -> list[str]:
    """One warning per alias and per unknown tag of the document's prompt fields."""
    return [finding.message for finding in tag_findings(document, vocabulary)]
