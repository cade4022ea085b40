"""A1111's emphasis syntax: a prompt as runs of text, each with the weight its brackets give it.

The syntax, with the meaning AUTOMATIC1111's web UI gives it (and ComfyUI follows for ``()``):

- ``(text)`` multiplies the weight of ``text`` by 1.1, ``[text]`` divides it by 1.1;
- ``(text:1.3)`` multiplies it by 1.3 (any decimal number, also negative or ``.5``);
- brackets nest and multiply: ``((a:1.3))`` gives ``a`` 1.3 x 1.1;
- ``\\(``, ``\\)``, ``\\[``, ``\\]`` and ``\\\\`` are the literal characters; a backslash before
  anything else is dropped (``a\\b`` reads ``ab``);
- a bracket left open at the end applies to the rest of the prompt (``(a, b`` weighs both 1.1);
  a closing bracket without an opener is plain text, as is a colon that does not end a weight;
- ``BREAK`` (upper case, a word of its own) ends the current 75-token chunk early;
- braces ``{}`` have no meaning here (they are NovelAI's syntax) and stay plain text.

Weights are multiplied in A1111's order (inner bracket first), so they are the same floating
point numbers A1111 computes; neighbouring runs with equal weights are merged into one run,
because the run is the unit the tokenizer sees. Unlike A1111, ``BREAK`` inside brackets still
breaks the chunk (A1111 turns it into a weighted word there) and a malformed weight such as
``(a:1.2.3)`` reads as text instead of failing the job.

The functions are pure; :mod:`gaze.prompts.chunking` turns the runs into token chunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROUND_BRACKET_MULTIPLIER = 1.1
SQUARE_BRACKET_MULTIPLIER = 1 / 1.1
BREAK_KEYWORD = "BREAK"


@dataclass(frozen=True)
class WeightedText:
    """A run of prompt text and its weight (1.0 when no bracket applies)."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class ChunkBreak:
    """``BREAK``: the text after it starts a new 75-token chunk."""


PromptPart = WeightedText | ChunkBreak

_SYNTAX = re.compile(
    r"""
      (?P<escaped>\\[()\[\]\\])
    | (?P<backslash>\\)
    | (?P<open_round>\()
    | (?P<open_square>\[)
    | :\s*(?P<weight>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*\)
    | (?P<close_round>\))
    | (?P<close_square>\])
    | (?P<text>[^\\()\[\]:]+|:)
    """,
    re.VERBOSE,
)
_BREAK = re.compile(rf"\s*\b{BREAK_KEYWORD}\b\s*")


class _Run:
    """A mutable run while parsing: weights change as brackets close."""

    __slots__ = ("is_break", "text", "weight")

    def __init__(self, text: str, is_break: bool = False) -> None:
        self.text = text
        self.weight = 1.0
        self.is_break = is_break


def _multiply_from(runs: list[_Run], start: int, multiplier: float) -> None:
    for run in runs[start:]:
        run.weight *= multiplier


def _append_text(runs: list[_Run], text: str) -> None:
    for index, piece in enumerate(_BREAK.split(text)):
        if index:
            runs.append(_Run("", is_break=True))
        runs.append(_Run(piece))


def _parse_runs(prompt: str) -> list[_Run]:
    runs: list[_Run] = []
    round_openers: list[int] = []
    square_openers: list[int] = []
    for match in _SYNTAX.finditer(prompt):
        kind = match.lastgroup
        if kind == "escaped":
            runs.append(_Run(match.group(0)[1:]))
        elif kind == "backslash":
            runs.append(_Run(""))
        elif kind == "open_round":
            round_openers.append(len(runs))
        elif kind == "open_square":
            square_openers.append(len(runs))
        elif match.group("weight") is not None and round_openers:
            _multiply_from(runs, round_openers.pop(), float(match.group("weight")))
        elif kind == "close_round" and round_openers:
            _multiply_from(runs, round_openers.pop(), ROUND_BRACKET_MULTIPLIER)
        elif kind == "close_square" and square_openers:
            _multiply_from(runs, square_openers.pop(), SQUARE_BRACKET_MULTIPLIER)
        else:  # text, or a closer / weight without its opener: literal text
            _append_text(runs, match.group(0))
    for start in round_openers:
        _multiply_from(runs, start, ROUND_BRACKET_MULTIPLIER)
    for start in square_openers:
        _multiply_from(runs, start, SQUARE_BRACKET_MULTIPLIER)
    return runs


def parse_emphasis(prompt: str) -> list[PromptPart]:
    """The prompt as weighted text runs and chunk breaks, in order.

    Neighbouring runs of equal weight are merged and empty runs dropped; a prompt without any
    text gives ``[WeightedText("", 1.0)]``.
    """
    merged: list[_Run] = []
    for run in _parse_runs(prompt):
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and not run.is_break
            and not previous.is_break
            and previous.weight == run.weight
        ):
            previous.text += run.text
        else:
            merged.append(run)
    parts: list[PromptPart] = [
        ChunkBreak() if run.is_break else WeightedText(run.text, run.weight)
        for run in merged
        if run.is_break or run.text
    ]
    return parts or [WeightedText("", 1.0)]


def weighted_runs(prompt: str) -> list[tuple[str, float]]:
    """The prompt's text runs as ``(text, weight)`` pairs, ``BREAK`` shown as ``("BREAK", -1)``.

    The same shape as A1111's ``parse_prompt_attention`` output, for comparing and logging.
    """
    return [
        (BREAK_KEYWORD, -1.0) if isinstance(part, ChunkBreak) else (part.text, part.weight)
        for part in parse_emphasis(prompt)
    ]
