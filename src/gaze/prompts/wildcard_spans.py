"""Where the wildcard syntax sits in a prompt text, for syntax highlighting.

`wildcard_spans` never fails: an unmatched brace is reported as an ``error`` span, so a
half-typed prompt still highlights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gaze.prompts.wildcard_syntax import COUNT, ESCAPABLE, WEIGHT, WORDLIST_REFERENCE

SpanKind = Literal["brace", "separator", "count", "weight", "wordlist", "escape", "error"]


@dataclass(frozen=True, slots=True)
class Span:
    """``text[start:end]`` is syntax of this kind."""

    kind: SpanKind
    start: int
    end: int


def wildcard_spans(text: str) -> list[Span]:
    """The syntax spans of `text`, in order: braces, ``|`` separators, counts (``2$$`` with
    a joiner's ``$$``), weights (``3::``), ``__name__`` references, escapes and errors."""
    spans: list[Span] = []
    open_braces: list[int] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] in ESCAPABLE and index + 1 < length:
            spans.append(Span("escape", index, index + 2))
            index += 2
            continue
        if char == "{":
            open_braces.append(len(spans))
            spans.append(Span("brace", index, index + 1))
            index = _after_prefix(text, index + 1, spans, count_allowed=True)
            continue
        if char == "}":
            if open_braces:
                open_braces.pop()
                spans.append(Span("brace", index, index + 1))
            else:
                spans.append(Span("error", index, index + 1))
        elif char == "|" and open_braces:
            spans.append(Span("separator", index, index + 1))
            index = _after_prefix(text, index + 1, spans, count_allowed=False)
            continue
        elif text.startswith("__", index):
            match = WORDLIST_REFERENCE.match(text, index)
            if match is not None:
                spans.append(Span("wordlist", index, match.end()))
                index = match.end()
                continue
        index += 1
    for position in open_braces:
        unclosed = spans[position]
        spans[position] = Span("error", unclosed.start, unclosed.end)
    return spans


def _after_prefix(text: str, start: int, spans: list[Span], *, count_allowed: bool) -> int:
    """Mark the count (after ``{``) and the weight at the start of an option; return where
    the option's text begins."""
    index = start
    if count_allowed:
        marker = text.find("$$", start)
        if marker >= 0 and COUNT.fullmatch(text, start, marker) and marker > start:
            end = marker + 2
            joiner_end = _joiner_end(text, end)
            if joiner_end is not None:
                spans.append(Span("count", start, end))
                spans.append(Span("count", joiner_end - 2, joiner_end))
                return joiner_end
            spans.append(Span("count", start, end))
            index = end
    match = WEIGHT.match(text, index)
    if match is not None:
        spans.append(Span("weight", index, match.end()))
        return match.end()
    return index


def _joiner_end(text: str, start: int) -> int | None:
    """The end of a joiner's closing ``$$`` when one follows before any ``|{}``."""
    for index in range(start, len(text) - 1):
        if text[index] in "|{}":
            return None
        if text.startswith("$$", index):
            return index + 2
    return None
