"""The wildcard syntax of prompt texts, parsed into nodes (Dynamic Prompts' and SwarmUI's).

- ``{a|b|c}`` picks one option; ``{2$$a|b|c}`` picks two distinct ones, joined by ``", "``;
  ``{1-3$$a|b|c}`` a count in a range (``-2`` means 1-2, ``2-`` means 2 to all);
  ``{2$$ and $$a|b|c}`` joins with ``" and "``; ``{3::a|1::b}`` weighs the options.
- ``__name__`` picks a line of the wordlist ``name`` (``/`` allowed: ``__colors/warm__``).
- ``\\{``, ``\\}``, ``\\|`` and ``\\_`` are a literal ``{``, ``}``, ``|`` and ``_``; every
  other backslash (A1111's ``\\(``) is kept as written.

Options are stripped of surrounding spaces and may hold wildcards themselves. Parsing is
cached per text; `WildcardError` names what is wrong and where.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

ESCAPABLE = frozenset("{}|_")
"""The characters a backslash makes literal."""

DEFAULT_JOINER = ", "
WORDLIST_REFERENCE = re.compile(r"__([A-Za-z0-9][A-Za-z0-9_.\-/]*?)__")
"""``__name__``: a name starting with a letter or digit, then letters, digits, ``_.-/``."""
COUNT = re.compile(r"\s*(?P<low>\d+)?\s*(?P<dash>-)?\s*(?P<high>\d+)?\s*")
WEIGHT = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*::")

_SPECIAL = re.compile(r"[\\{}]|__")
_BRACES = re.compile(r"[\\{}]")
_SHOWN_LENGTH = 60
_NEEDS_ESCAPE = re.compile(r"[{}|]|_(?=_)|(?<=\\)_")
"""What `escape` escapes: braces and bars, and an underscore before another or after a
backslash (so that no ``__name__`` and no ``\\_`` is left to read)."""


class WildcardError(ValueError):
    """A prompt text whose wildcards cannot be expanded; the message says why and where."""


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a variant: its text as written (stripped, without the weight)."""

    source: str
    weight: float
    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Variant:
    """``{...}``: pick `low` to `high` (None: every option) distinct options."""

    source: str
    options: tuple[Option, ...]
    low: int = 1
    high: int | None = 1
    joiner: str = DEFAULT_JOINER
    counted: bool = False
    """True when the text gave a count (``N$$``)."""
    weights: tuple[float, ...] | None = None
    """The options' weights; None when every weight is 1 (uniform picks)."""
    label: str = ""
    """How the variant is named in an error's chain."""
    over_wordlist: WordlistReference | None = None
    """``{N$$__name__}``: the count picks distinct lines of this wordlist."""


@dataclass(frozen=True, slots=True)
class WordlistReference:
    """``__name__``: pick a line of the wordlist `name`."""

    source: str
    name: str


Node = str | Variant | WordlistReference
"""A literal text (escapes already resolved) or a wildcard."""


def shown(text: str) -> str:
    """A text quoted for a message, shortened when long."""
    if len(text) > _SHOWN_LENGTH:
        text = text[: _SHOWN_LENGTH - 3] + "..."
    return repr(text)


def unescape(text: str) -> str:
    """`text` with ``\\{ \\} \\| \\_`` made literal (other backslashes kept)."""
    if "\\" not in text:
        return text
    return re.sub(r"\\([{}|_])", r"\1", text)


def parse(text: str) -> tuple[Node, ...]:
    """The nodes of a prompt text; WildcardError for an unbalanced brace or a bad count."""
    if "{" not in text and "}" not in text and "__" not in text and "\\" not in text:
        return (text,) if text else ()
    return _parse(text)


@lru_cache(maxsize=8192)
def _parse(text: str) -> tuple[Node, ...]:
    nodes: list[Node] = []
    literal: list[str] = []
    position = 0

    def flush() -> None:
        if literal:
            joined = "".join(literal)
            if joined:
                nodes.append(joined)
            literal.clear()

    while True:
        found = _SPECIAL.search(text, position)
        if found is None:
            literal.append(text[position:])
            break
        start = found.start()
        literal.append(text[position:start])
        token = found.group()
        if token == "\\":
            following = text[start + 1 : start + 2]
            if following and following in ESCAPABLE:
                literal.append(following)
                position = start + 2
            else:
                literal.append("\\")
                position = start + 1
        elif token == "__":
            match = WORDLIST_REFERENCE.match(text, start)
            if match is None:
                literal.append("_")
                position = start + 1
            else:
                flush()
                nodes.append(WordlistReference(match.group(), match.group(1)))
                position = match.end()
        elif token == "{":
            end = closing_brace(text, start)
            flush()
            nodes.append(_variant(text[start : end + 1]))
            position = end + 1
        else:
            raise WildcardError(
                f"unmatched '}}' at character {start + 1} of {shown(text)} "
                "(write \\} for a literal brace)"
            )
    flush()
    return tuple(nodes)


def closing_brace(text: str, start: int) -> int:
    """The index of the ``}`` closing the ``{`` at `start`."""
    depth = 0
    position = start
    while True:
        found = _BRACES.search(text, position)
        if found is None:
            raise WildcardError(
                f"unclosed '{{' at character {start + 1} of {shown(text)} "
                "(write \\{ for a literal brace)"
            )
        index = found.start()
        char = text[index]
        if char == "\\":
            following = text[index + 1 : index + 2]
            position = index + 2 if following and following in ESCAPABLE else index + 1
            continue
        depth += 1 if char == "{" else -1
        if depth == 0:
            return index
        position = index + 1


def top_level_marks(body: str, mark: str) -> list[int]:
    """Where `mark` (``|`` or ``$$``) occurs in `body` outside nested braces and escapes."""
    found: list[int] = []
    depth = 0
    index = 0
    length = len(body)
    while index < length:
        char = body[index]
        if char == "\\" and body[index + 1 : index + 2] in ESCAPABLE and index + 1 < length:
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and body.startswith(mark, index):
            found.append(index)
            index += len(mark)
            continue
        index += 1
    return found


def _split(body: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for index in top_level_marks(body, "|"):
        parts.append(body[start:index])
        start = index + 1
    parts.append(body[start:])
    return parts


def _variant(source: str) -> Variant:
    parts = _split(source[1:-1])
    first = parts[0]
    dollars = top_level_marks(first, "$$")
    if not dollars:
        return _made(source, tuple(_option(part, source) for part in parts))
    low, high = _count(first[: dollars[0]], source)
    joiner = DEFAULT_JOINER
    rest_start = dollars[0] + 2
    if len(dollars) > 1:
        joiner = unescape(first[rest_start : dollars[1]])
        rest_start = dollars[1] + 2
    parts[0] = first[rest_start:]
    options = tuple(_option(part, source) for part in parts)
    return _made(source, options, low, high, joiner, counted=True)


def _made(
    source: str,
    options: tuple[Option, ...],
    low: int = 1,
    high: int | None = 1,
    joiner: str = DEFAULT_JOINER,
    *,
    counted: bool = False,
) -> Variant:
    weights = tuple(option.weight for option in options)
    nodes = options[0].nodes
    single = nodes[0] if counted and len(options) == 1 and len(nodes) == 1 else None
    return Variant(
        source,
        options,
        low,
        high,
        joiner,
        counted=counted,
        weights=None if all(weight == 1.0 for weight in weights) else weights,
        label=shown(source)[1:-1],
        over_wordlist=single if isinstance(single, WordlistReference) else None,
    )


def _count(text: str, source: str) -> tuple[int, int | None]:
    match = COUNT.fullmatch(text)
    if match is None or (match["low"] is None and match["high"] is None):
        raise WildcardError(
            f"bad count {text!r} in {shown(source)}: write N$$, N-M$$, -M$$ or N-$$"
        )
    low_text, dash, high_text = match["low"], match["dash"], match["high"]
    if not dash:
        return int(low_text), int(low_text)
    low = int(low_text) if low_text is not None else 1
    high = int(high_text) if high_text is not None else None
    if high is not None and low > high:
        raise WildcardError(
            f"bad count {text.strip()!r} in {shown(source)}: {low} is more than {high}"
        )
    return low, high


def _option(part: str, source: str) -> Option:
    text = part.strip()
    weight = 1.0
    match = WEIGHT.match(text)
    if match is not None:
        weight = float(match.group(1))
        if not math.isfinite(weight):
            raise WildcardError(f"the weight {match.group(1)!r} in {shown(source)} is too large")
        text = text[match.end() :].lstrip()
    return Option(text, weight, parse(text))


def escape(text: str) -> str:
    """`text` written so that wildcard expansion gives it back unchanged."""
    return _NEEDS_ESCAPE.sub(r"\\\g<0>", text)
