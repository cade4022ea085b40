"""Wordlists a wildcard expansion must not use (a safe-for-work caller's NSFW wordlists).

With avoided wordlists, a pick is made among the options and lines that do not need one:
an option or line is left out when it refers to an avoided wordlist outside any choice
(``__nsfw__``), or holds a wildcard that could only pick such options (each of which is
judged the same way, through the wordlists it refers to). The remaining ones are picked with
the same seeded draws as always, so the same seed gives the same text. A direct reference to
an avoided wordlist, or a pick with nothing left to choose, raises `WildcardAvoided`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from gaze.prompts.wildcard_syntax import (
    Node,
    Variant,
    WildcardError,
    WordlistReference,
    parse,
)

WordlistLines = Callable[[str], Sequence[str] | None]


class WildcardAvoided(Exception):
    """A wildcard that cannot be expanded without an avoided wordlist. `what` names it
    (``"The wordlist 'x'"``, ``"Every option of the wildcard {a|__x__}"``)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class WordlistAvoidance:
    """Which options and lines of an expansion may be picked, given the avoided wordlists."""

    def __init__(self, avoided: Collection[str], wordlists: WordlistLines | None) -> None:
        self.avoided = frozenset(avoided)
        self.wordlists = wordlists
        self._usable_wordlists: dict[str, bool] = {}
        self._allowed_lines: dict[str, list[int]] = {}

    def check_reference(self, reference: WordlistReference) -> None:
        """Raises WildcardAvoided when the reference names an avoided wordlist."""
        if reference.name in self.avoided:
            raise WildcardAvoided(f"The wordlist {reference.name!r}")

    def allowed_options(self, node: Variant) -> list[int]:
        """The indices of the variant's options that may be picked."""
        return [
            index for index, option in enumerate(node.options) if self.usable_nodes(option.nodes)
        ]

    def allowed_lines(self, name: str, lines: Sequence[str]) -> list[int]:
        """The indices of the wordlist's usable lines that may be picked."""
        allowed = self._allowed_lines.get(name)
        if allowed is None:
            allowed = [index for index, line in enumerate(lines) if self.usable_line(line)]
            self._allowed_lines[name] = allowed
        return allowed

    def usable_nodes(self, nodes: Sequence[Node]) -> bool:
        for node in nodes:
            if isinstance(node, str):
                continue
            if isinstance(node, WordlistReference):
                if not self.usable_wordlist(node.name):
                    return False
            elif node.over_wordlist is not None:
                if node.over_wordlist.name in self.avoided:
                    return False
                if node.low > 0 and not self.usable_wordlist(node.over_wordlist.name):
                    return False
            elif node.low > 0 and not any(
                self.usable_nodes(option.nodes) for option in node.options
            ):
                return False
        return True

    def usable_line(self, line: str) -> bool:
        if "__" not in line and "{" not in line:
            return True
        try:
            nodes = parse(line)
        except WildcardError:
            return True  # the expansion reports it if the line is picked
        return self.usable_nodes(nodes)

    def usable_wordlist(self, name: str) -> bool:
        """False when the wordlist is avoided or every line of it needs an avoided one; an
        unknown or empty wordlist counts as usable (the expansion reports it)."""
        if name in self.avoided:
            return False
        known = self._usable_wordlists.get(name)
        if known is not None:
            return known
        self._usable_wordlists[name] = True  # while its lines are judged: a cycle is reported
        lines = self.wordlists(name) if self.wordlists is not None else None
        usable = not lines or bool(self.allowed_lines(name, lines))
        self._usable_wordlists[name] = usable
        return usable
