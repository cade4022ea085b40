"""Expanding the wildcards of a prompt text with seeded picks (syntax: `wildcard_syntax`).

Every wildcard occurrence draws from its own stream: the n-th wildcard of a text expanded
under the stream ``P`` uses ``P:n`` (counted from 0, in order of occurrence), and the
wildcards inside a chosen option or wordlist line extend their parent's stream. Adding a
wildcard at the end of a text therefore never changes the picks before it. A variant draws
its count from ``S:count``, its first pick from ``S`` and the m-th from ``S:pick:m``; the
option at index i is expanded under ``S:i``. A wordlist reference picks its line from ``S``
and expands it under ``S``.

With ``avoided`` wordlists (`gaze.prompts.wildcard_avoidance`), options and lines that would
need one are left out before each pick, which then draws from the same stream among the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from gaze.prompts.seeded import DRAW_RANGE, SeedDraws
from gaze.prompts.wildcard_avoidance import WildcardAvoided, WordlistAvoidance
from gaze.prompts.wildcard_syntax import (
    Node,
    Variant,
    WildcardError,
    WordlistReference,
    escape,
    parse,
    shown,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_PICKS",
    "Expansion",
    "WildcardAvoided",
    "WildcardError",
    "WordlistLookup",
    "escape",
    "expand_wildcards",
    "might_hold_wildcards",
]

MAX_DEPTH = 16
"""How deep wildcards may nest (an option or a wordlist line holding wildcards)."""

MAX_PICKS = 2000
"""How many wildcards one expansion may pick (nested ones included), so that a text whose
options and wordlists multiply cannot run away."""

WordlistLookup = Callable[[str], Sequence[str] | None]
"""The usable lines of the wordlist with this name, or None when there is none."""

Pick = dict[str, Any]


@dataclass(frozen=True)
class Expansion:
    """An expanded text and what each wildcard picked, in order of occurrence (parents
    before the wildcards nested in them). Each pick is JSON-ready: ``wildcard`` (its source),
    ``stream``, ``picked`` (the chosen options' or lines' text as written) and ``text``
    (what it expanded to)."""

    text: str
    picks: list[Pick] = field(default_factory=list)


def might_hold_wildcards(text: str) -> bool:
    """False when `text` surely has no wildcard, brace or escape (it expands to itself)."""
    return "{" in text or "}" in text or "__" in text or "\\" in text


def expand_wildcards(
    text: str,
    seed: int,
    stream: str,
    wordlists: WordlistLookup | None = None,
    avoided: Collection[str] = (),
) -> Expansion:
    """`text` with every wildcard replaced by the seed's picks; see the module docstring.

    WildcardError (a ValueError) for an unbalanced brace, a bad count, an unknown or empty
    wordlist, a cycle of wordlists, nesting deeper than `MAX_DEPTH` or more than `MAX_PICKS`
    picks. WildcardAvoided (not a ValueError) when the text needs an `avoided` wordlist.
    """
    if not might_hold_wildcards(text):
        return Expansion(text)
    nodes = parse(text)
    avoidance = WordlistAvoidance(avoided, wordlists) if avoided else None
    expander = _Expander(SeedDraws(seed), wordlists, avoidance)
    expanded = expander.expand(nodes, stream, ())
    return Expansion(expanded, expander.picks)


def _literal(nodes: Sequence[Node]) -> str | None:
    """The text of nodes that hold no wildcard, or None."""
    if not nodes:
        return ""
    if len(nodes) == 1 and isinstance(nodes[0], str):
        return nodes[0]
    return None


class _Expander:
    def __init__(
        self,
        draws: SeedDraws,
        wordlists: WordlistLookup | None,
        avoidance: WordlistAvoidance | None = None,
    ) -> None:
        self.draws = draws
        self.wordlists = wordlists
        self.avoidance = avoidance
        self.lines: dict[str, Sequence[str]] = {}
        self.picks: list[Pick] = []

    def expand(self, nodes: Sequence[Node], prefix: str, chain: tuple[str, ...]) -> str:
        literal = _literal(nodes)
        if literal is not None:
            return literal
        parts: list[str] = []
        occurrence = 0
        for node in nodes:
            if isinstance(node, str):
                parts.append(node)
                continue
            stream = f"{prefix}:{occurrence}"
            occurrence += 1
            if isinstance(node, Variant):
                parts.append(self.variant(node, stream, chain))
            else:
                parts.append(self.wordlist(node, stream, chain))
        return "".join(parts)

    def deeper(self, chain: tuple[str, ...], label: str) -> tuple[str, ...]:
        longer = (*chain, label)
        if len(longer) > MAX_DEPTH:
            raise WildcardError(f"wildcards nest more than {MAX_DEPTH} deep: {' -> '.join(longer)}")
        return longer

    def record(self, source: str, stream: str) -> Pick:
        if len(self.picks) >= MAX_PICKS:
            raise WildcardError(
                f"the text picks more than {MAX_PICKS} wildcards (nested ones included); "
                f"the last was {shown(source)}"
            )
        pick: Pick = {"wildcard": source, "stream": stream, "picked": [], "text": ""}
        self.picks.append(pick)
        return pick

    def variant(self, node: Variant, stream: str, chain: tuple[str, ...]) -> str:
        pick = self.record(node.source, stream)
        inner = self.deeper(chain, node.label)
        reference = node.over_wordlist
        candidates: Sequence[int]
        if reference is not None:
            inner = self.deeper(self.enter(reference, chain), reference.source)
            lines = self.entries(reference)
            candidates = self.allowed_lines(reference.name, lines, node)
            chosen = self.choose(node, candidates, None, stream)
            sources = [lines[index] for index in chosen]
            nodes = [self.line_nodes(reference.name, line) for line in sources]
        else:
            options = node.options
            candidates = range(len(options))
            if self.avoidance is not None:
                candidates = self.avoidance.allowed_options(node)
                if not candidates and node.low > 0:
                    raise WildcardAvoided(f"Every option of the wildcard {shown(node.source)}")
            chosen = self.choose(node, candidates, node.weights, stream)
            sources = [options[index].source for index in chosen]
            nodes = [options[index].nodes for index in chosen]
        pick["picked"] = sources
        texts = []
        for index, option_nodes in zip(chosen, nodes, strict=True):
            literal = _literal(option_nodes)
            if literal is None:  # only then is the nested stream's name needed
                literal = self.expand(option_nodes, f"{stream}:{index}", inner)
            texts.append(literal)
        pick["text"] = text = node.joiner.join(texts)
        return text

    def allowed_lines(self, name: str, lines: Sequence[str], node: Variant | None) -> Sequence[int]:
        """The indices of the lines a pick may choose (all but those needing an avoided
        wordlist); WildcardAvoided when a pick must be made and none is left."""
        if self.avoidance is None:
            return range(len(lines))
        allowed = self.avoidance.allowed_lines(name, lines)
        if not allowed and (node is None or node.low > 0):
            raise WildcardAvoided(f"Every line of the wordlist {name!r}")
        return allowed

    def choose(
        self, node: Variant, candidates: Sequence[int], weights: Sequence[float] | None, stream: str
    ) -> list[int]:
        """Distinct indices among `candidates` (option or line indices, in order): uniform
        when `weights` is None."""
        available = len(candidates)
        if node.high == 1 and node.low == 1 and available:
            if weights is None:
                return [candidates[self.draws.pick_index(stream, available)]]
            picked = self.weighted(weights, list(candidates), stream)
            return [] if picked is None else [candidates[picked]]
        high = available if node.high is None else min(node.high, available)
        low = min(node.low, high)
        count = low if low == high else low + self.draws.draw(f"{stream}:count") % (high - low + 1)
        remaining = list(candidates)
        chosen: list[int] = []
        for number in range(count):
            pick_stream = stream if number == 0 else f"{stream}:pick:{number}"
            if weights is None:
                position: int | None = self.draws.pick_index(pick_stream, len(remaining))
            else:
                position = self.weighted(weights, remaining, pick_stream)
            if position is None:
                break
            chosen.append(remaining.pop(position))
        return chosen

    def weighted(self, weights: Sequence[float], remaining: list[int], stream: str) -> int | None:
        """A position in `remaining`, each index as likely as its weight; None when every
        remaining weight is 0."""
        total = sum(weights[index] for index in remaining)
        if total <= 0:
            return None
        target = self.draws.draw(stream) / DRAW_RANGE * total
        last = None
        for position, index in enumerate(remaining):
            weight = weights[index]
            if weight <= 0:
                continue
            last = position
            target -= weight
            if target < 0:
                return position
        return last  # float rounding at the very end of the range

    def line_nodes(self, name: str, line: str) -> tuple[Node, ...]:
        try:
            return parse(line)
        except WildcardError as error:
            raise WildcardError(f"{error} (a line of the wordlist {name!r})") from None

    def enter(self, reference: WordlistReference, chain: tuple[str, ...]) -> tuple[str, ...]:
        if reference.source in chain:
            cycle = " -> ".join((*chain[chain.index(reference.source) :], reference.source))
            raise WildcardError(f"wordlists refer to each other in a cycle: {cycle}")
        return chain

    def entries(self, reference: WordlistReference) -> Sequence[str]:
        if self.avoidance is not None:
            self.avoidance.check_reference(reference)
        name = reference.name
        lines = self.lines.get(name)
        if lines is None:
            found = None if self.wordlists is None else self.wordlists(name)
            if found is None:
                raise WildcardError(f"unknown wordlist {name!r} (in {reference.source})")
            if not found:
                raise WildcardError(f"the wordlist {name!r} has no lines to pick from")
            lines = self.lines[name] = found
        return lines

    def wordlist(self, node: WordlistReference, stream: str, chain: tuple[str, ...]) -> str:
        pick = self.record(node.source, stream)
        inner = self.deeper(self.enter(node, chain), node.source)
        lines = self.entries(node)
        candidates = self.allowed_lines(node.name, lines, None)
        line = lines[candidates[self.draws.pick_index(stream, len(candidates))]]
        pick["picked"] = [line]
        pick["text"] = text = self.expand(self.line_nodes(node.name, line), stream, inner)
        return text
