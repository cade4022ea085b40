"""A prompt text's wildcards for an editor: where the syntax sits (`wildcard_spans`) and what
one seed expands it to, or why it cannot be expanded."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gaze.prompts.wildcard_spans import wildcard_spans
from gaze.prompts.wildcards import WildcardError, WordlistLookup, expand_wildcards

PREVIEW_STREAM = "wildcards:preview"
"""The stream of a text that is not (yet) one of a resolution's (see `presets.prompt_wildcards`)."""


def wildcard_preview(
    text: str, seed: int, stream: str = PREVIEW_STREAM, wordlists: WordlistLookup | None = None
) -> dict[str, Any]:
    """JSON-ready: ``text`` (the expansion, None on error), ``spans`` (kind, start, end),
    ``picks`` (as `expand_wildcards` records them) and ``error`` (None, or why it fails)."""
    spans = [asdict(span) for span in wildcard_spans(text)]
    try:
        expansion = expand_wildcards(text, seed, stream, wordlists)
    except WildcardError as error:
        return {"text": None, "spans": spans, "picks": [], "error": str(error)}
    return {"text": expansion.text, "spans": spans, "picks": expansion.picks, "error": None}
