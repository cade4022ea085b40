"""Wildcards in the texts a resolution puts together (`gaze.prompts.wildcards` expands them).

Every text is expanded under a stream named for where it comes from, so a pick depends on the
seed and that place alone: ``wildcards:<category>:<resource id>:<field address>`` for a library
field, ``wildcards:wardrobe:<character id>:<outfit key>:<field>`` for a wardrobe's own outfit,
``wildcards:<category>:<id>:prompt_tags`` for a detailer's tags, and ``wildcards:prefix``,
``wildcards:negative_prefix``, ``wildcards:positive``, ``wildcards:negative``,
``wildcards:extra_positive``, ``wildcards:extra_negative`` for the checkpoint's prefixes, the
preset's prompts and the request's extra prompts. Renaming a stream changes what stored seeds
mean: don't, without a migration note.

For a safe-for-work caller (``sfw_only``) the wordlists flagged NSFW are avoided
(`gaze.prompts.wildcard_avoidance`); a text that cannot do without one is refused
(`gaze.presets.sfw.NsfwRefused`, naming the wordlist or wildcard and where the text comes from).
"""

from __future__ import annotations

from typing import Any

from gaze.library.view import LibraryView
from gaze.library.wordlist_schema import WORDLISTS
from gaze.presets.sfw import NsfwRefused
from gaze.prompts.wildcards import (
    WildcardAvoided,
    WildcardError,
    expand_wildcards,
    might_hold_wildcards,
)


class PromptWildcards:
    """Expands one resolution's texts and keeps every pick, in the order they were made."""

    def __init__(self, seed: int, library: LibraryView, *, sfw_only: bool = False) -> None:
        self.seed = seed
        self.library = library
        self.sfw_only = sfw_only
        self.picks: list[dict[str, Any]] = []
        self._avoided: frozenset[str] | None = None

    def avoided(self) -> frozenset[str]:
        """The wordlists not to use: the NSFW ones for a safe-for-work caller (read once)."""
        if not self.sfw_only:
            return frozenset()
        if self._avoided is None:
            self._avoided = self.library.nsfw_ids(WORDLISTS)
        return self._avoided

    def text(self, text: str, stream: str) -> str:
        """`text` with its wildcards picked; WildcardError names where the text comes from."""
        if not might_hold_wildcards(text):
            return text
        where = stream.removeprefix("wildcards:")
        try:
            expansion = expand_wildcards(
                text, self.seed, stream, self.library.wordlist, self.avoided()
            )
        except WildcardError as error:
            raise WildcardError(f"wildcards in {where}: {error}") from None
        except WildcardAvoided as avoided:
            raise NsfwRefused(f"{avoided.what} (wildcards in {where})") from None
        self.picks.extend(expansion.picks)
        return expansion.text

    def value(self, value: str | list[str], stream: str, key: str | None = None) -> str | list[str]:
        """A field's value (a text, or a list of texts each under ``<stream>:<index>``); with
        ``key`` the stream is ``<stream>:<key>`` (only built when the value holds wildcards)."""
        if isinstance(value, str):
            if not might_hold_wildcards(value):
                return value
            return self.text(value, stream if key is None else f"{stream}:{key}")
        if not any(map(might_hold_wildcards, value)):
            return value
        base = stream if key is None else f"{stream}:{key}"
        return [self.text(item, f"{base}:{index}") for index, item in enumerate(value)]
