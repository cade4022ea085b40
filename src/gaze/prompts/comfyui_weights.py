"""ComfyUI's emphasis syntax: a prompt as the (text, weight) segments ComfyUI v0.8.0 reads in it.

The rules (ComfyUI's ``token_weights`` in ``comfy/sd1_clip.py``), where they differ from A1111's
(:mod:`gaze.prompts.emphasis`):

- ``(text)`` multiplies the weight around it by 1.1, and brackets nest: ``((a))`` is 1.1 * 1.1;
- ``(text:1.3)`` *sets* the weight to 1.3 whatever the brackets around it give (``((a:1.3))``
  is 1.3, where A1111 gives 1.43); brackets inside it multiply it (``((a):1.5)`` is 1.5 * 1.1).
  The number is whatever follows the group's last colon, read by Python's ``float``; when it does
  not read, or the colon opens the group, the colon is text and the group weighs 1.1;
- ``\\(`` and ``\\)`` are literal brackets; any other backslash is text;
- ``[text]``, ``{text}`` and ``BREAK`` mean nothing here: they reach the tokenizer as text;
- a group left open is text, its bracket included (``(a, b`` reads ``(a, b`` at the weight
  around it); a ``)`` without an opener is text too, but it still counts in the nesting, so the
  next ``(`` only brings the nesting back to zero and is text as well: ``a) (b)`` is the text
  ``a) (b)`` at 1.0, and ``a) ((b))`` gives ``a) (``, then ``b`` at 1.1, then ``)``.

Segments are not merged: each is tokenized on its own and is the unit ComfyUI's chunking keeps
whole (see :mod:`gaze.prompts.comfyui_chunking`). Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterator

from gaze.prompts.emphasis import WeightedText

ROUND_BRACKET_MULTIPLIER = 1.1
_ESCAPED_OPEN = "\\("
_ESCAPED_CLOSE = "\\)"
# Private-use characters stand in for escaped brackets while the brackets are read.
_OPEN_STAND_IN = "\ue000"
_CLOSE_STAND_IN = "\ue001"


def _hide_escaped_brackets(text: str) -> str:
    return text.replace(_ESCAPED_CLOSE, _CLOSE_STAND_IN).replace(_ESCAPED_OPEN, _OPEN_STAND_IN)


def _literal(text: str) -> str:
    return text.replace(_CLOSE_STAND_IN, ")").replace(_OPEN_STAND_IN, "(")


def _top_level_pieces(text: str) -> list[str]:
    """``text`` cut into plain runs and outermost ``(...)`` groups, brackets kept, in order."""
    pieces: list[str] = []
    current = ""
    depth = 0
    for char in text:
        if char == "(":
            if depth == 0 and current:
                pieces.append(current)
                current = ""
            current += char
            depth += 1
        elif char == ")":
            depth -= 1
            current += char
            if depth == 0:
                pieces.append(current)
                current = ""
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def _is_group(piece: str) -> bool:
    return len(piece) >= 2 and piece.startswith("(") and piece.endswith(")")


def _group_content(inside: str, weight_around: float) -> tuple[str, float]:
    """A group's text (without ``:weight``) and its weight."""
    colon = inside.rfind(":")
    if colon > 0:
        try:
            return inside[:colon], float(inside[colon + 1 :])
        except ValueError:
            pass
    return inside, weight_around * ROUND_BRACKET_MULTIPLIER


def _segments(text: str, weight: float) -> Iterator[WeightedText]:
    for piece in _top_level_pieces(text):
        if _is_group(piece):
            inside, group_weight = _group_content(piece[1:-1], weight)
            yield from _segments(inside, group_weight)
        else:
            yield WeightedText(_literal(piece), weight)


def comfyui_segments(prompt: str) -> list[WeightedText]:
    """The prompt's segments with their weights, in order (see the module docstring).

    No segment is empty; a prompt without text (``""``, ``"()"``) has none.
    """
    return list(_segments(_hide_escaped_brackets(prompt), 1.0))


def comfyui_weighted_runs(prompt: str) -> list[tuple[str, float]]:
    """The segments as ``(text, weight)`` pairs, the shape of ComfyUI's ``token_weights``."""
    return [(segment.text, segment.weight) for segment in comfyui_segments(prompt)]
