"""Prompt tags: splitting a prompt into tags and merging tag lists without duplicates.

A prompt is a list of Danbooru-style tags separated by commas or newlines. The rules, which
every part of GAZE that builds a prompt follows:

- A tag is the text between two separators, trimmed; runs of whitespace inside a tag become
  one space. Empty tags are dropped.
- Commas and newlines inside a *matched* pair of brackets do not split: ``(red dress, hat:1.2)``
  is one weighted group and stays one tag, exactly as written. The brackets are ``()``, ``[]``
  and ``{}``; a bracket without its partner is plain text, so a stray ``(`` never swallows the
  rest of the prompt.
- A backslash escapes the next character: ``\\(`` and ``\\)`` are literal parentheses (as in
  ``yuuki \\(series\\)``) and never group; ``\\,`` is a literal comma that does not split. The
  backslash is kept in the tag, so the text reaches the engine as written.
- Two tags are duplicates when they are equal ignoring case (``str.casefold``); the first one
  is kept, with its own spelling. Weighted tags are compared as written: ``(smile:1.2)`` and
  ``smile`` are different tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_SYNTAX = re.compile(r"[\\()\[\]{}]")
_SEPARATORS = re.compile(r"[,\n\r]")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())


def _clean(tag: str) -> str:
    return " ".join(tag.split())  # str.split and re's \s agree on what whitespace is


def _grouped_positions(text: str) -> list[bool]:
    """For each character: is it inside a matched bracket pair (or is it one of its brackets)?"""
    grouped = [False] * len(text)
    stack: list[tuple[str, int]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char in _OPENERS:
            stack.append((_OPENERS[char], index))
        elif char in _CLOSERS:
            # Pop to the nearest matching opener; openers skipped on the way stay unmatched.
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == char:
                    start = stack[depth][1]
                    del stack[depth:]
                    for position in range(start, index + 1):
                        grouped[position] = True
                    break
        index += 1
    return grouped


def _split_with_syntax(text: str) -> list[str]:
    grouped = _grouped_positions(text)
    tags: list[str] = []
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char in ",\n\r" and not grouped[index]:
            tags.append(text[start:index])
            start = index + 1
        index += 1
    tags.append(text[start:])
    return tags


def _split_uncached(text: str) -> tuple[tuple[str, str], ...]:
    """(tag, duplicate key) pairs of a text."""
    pieces = _split_with_syntax(text) if _SYNTAX.search(text) else _SEPARATORS.split(text)
    return tuple((tag, tag.casefold()) for tag in map(_clean, pieces) if tag)


_split_short = lru_cache(maxsize=16384)(_split_uncached)
_CACHED_TEXT_LENGTH = 1024
"""Library field values repeat on every resolution and are cached; long one-off texts are not."""


def _split_cached(text: str) -> tuple[tuple[str, str], ...]:
    if len(text) <= _CACHED_TEXT_LENGTH:
        return _split_short(text)
    return _split_uncached(text)


def split_tags(text: str) -> list[str]:
    """The tags of a prompt text, in order (duplicates are kept; see `merge_tags`)."""
    return [tag for tag, _ in _split_cached(text)]


def tag_key(tag: str) -> str:
    """The identity of a tag for duplicate detection: case-insensitive, whitespace-normalised."""
    return _clean(tag).casefold()


class TagList:
    """An ordered list of tags that ignores a tag already present (case-insensitively).

    Add prompt texts (split with `split_tags`) or single tags; read `tags` or `text()`.
    """

    __slots__ = ("_seen", "tags")

    def __init__(self) -> None:
        self.tags: list[str] = []
        self._seen: set[str] = set()

    def add_text(self, text: str) -> None:
        """Add every tag of a prompt text."""
        seen = self._seen
        for tag, key in _split_cached(text):
            if key not in seen:
                seen.add(key)
                self.tags.append(tag)

    def add(self, value: str | Iterable[str]) -> None:
        """Add a prompt text, or each item of a list of texts."""
        if isinstance(value, str):
            self.add_text(value)
        else:
            for text in value:
                self.add_text(text)

    def text(self) -> str:
        return join_tags(self.tags)


def merge_tags(*parts: str | Iterable[str]) -> list[str]:
    """The tags of all parts in order, each kept once (first spelling wins, case-insensitive).

    A part is a prompt text or a list of texts; every text is split with `split_tags`.
    """
    merged = TagList()
    for part in parts:
        merged.add(part)
    return merged.tags


def join_tags(tags: Iterable[str]) -> str:
    """A prompt text from tags: ``"a, b, c"``."""
    return ", ".join(tags)
