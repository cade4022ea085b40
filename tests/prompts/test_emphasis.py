"""A1111 emphasis syntax: ``(a)``, ``[a]``, ``(a:1.3)``, nesting, escapes and ``BREAK``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaze.prompts.emphasis import (
    ROUND_BRACKET_MULTIPLIER,
    SQUARE_BRACKET_MULTIPLIER,
    ChunkBreak,
    WeightedText,
    parse_emphasis,
    weighted_runs,
)


@pytest.mark.parametrize(
    ("prompt", "runs"),
    [
        # The examples A1111 documents for its parser, with the exact floats it computes.
        ("normal text", [("normal text", 1.0)]),
        ("an (important) word", [("an ", 1.0), ("important", 1.1), (" word", 1.0)]),
        ("(unbalanced", [("unbalanced", 1.1)]),
        (r"\(literal\]", [("(literal]", 1.0)]),
        ("(unnecessary)(parens)", [("unnecessaryparens", 1.1)]),
        (
            "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
            [
                ("a ", 1.0),
                ("house", 1.5730000000000004),
                (" ", 1.1),
                ("on", 1.0),
                (" a ", 1.1),
                ("hill", 0.55),
                (", sun, ", 1.1),
                ("sky", 1.4641000000000006),
                (".", 1.1),
            ],
        ),
    ],
)
def test_a1111_documented_examples(prompt: str, runs: list[tuple[str, float]]) -> None:
    assert weighted_runs(prompt) == runs


@pytest.mark.parametrize(
    ("prompt", "runs"),
    [
        ("[a]", [("a", 1 / 1.1)]),
        ("[[a]] b", [("a", (1 / 1.1) * (1 / 1.1)), (" b", 1.0)]),
        ("(a:1.3)", [("a", 1.3)]),
        ("(a: 1.25 )", [("a", 1.25)]),
        ("(a:.5)", [("a", 0.5)]),
        ("(a:2.)", [("a", 2.0)]),
        ("(a:-0.5), b", [("a", -0.5), (", b", 1.0)]),
        ("(a:+1.2)", [("a", 1.2)]),
        ("((a:1.3))", [("a", 1.3 * 1.1)]),
        ("((a, b:1.2), c:0.8)", [("a, b", 1.2 * 0.8), (", c", 0.8)]),
        ("[(a)]", [("a", 1.1 * (1 / 1.1))]),
        ("(a:1.0), b", [("a, b", 1.0)]),  # equal weights merge into one run
    ],
)
def test_weights_multiply_through_nesting(prompt: str, runs: list[tuple[str, float]]) -> None:
    assert weighted_runs(prompt) == runs


@pytest.mark.parametrize(
    ("prompt", "runs"),
    [
        (r"yuuki \(series\)", [("yuuki (series)", 1.0)]),
        (r"(yuuki \(series\):1.2)", [("yuuki (series)", 1.2)]),
        (r"\[a\]", [("[a]", 1.0)]),
        ("a\\\\b", [("a\\b", 1.0)]),  # an escaped backslash is one backslash
        (r"a\b", [("ab", 1.0)]),  # any other backslash is dropped, as in A1111
        (r"\,", [(",", 1.0)]),
        ("a) b] c", [("a) b] c", 1.0)]),  # closers without openers are text
        ("a:1.2) b", [("a:1.2) b", 1.0)]),  # a weight without an opener is text
        ("time: 12:30", [("time: 12:30", 1.0)]),
        ("(a:1.2.3)", [("a:1.2.3", 1.1)]),  # a malformed weight is text; ")" closes
        ("{a}", [("{a}", 1.0)]),  # NovelAI braces mean nothing here
        ("", [("", 1.0)]),
        ("()", [("", 1.0)]),
        ("(  )", [("  ", 1.1)]),
    ],
)
def test_escapes_and_literal_syntax(prompt: str, runs: list[tuple[str, float]]) -> None:
    assert weighted_runs(prompt) == runs


def test_break_splits_and_eats_its_spaces() -> None:
    assert parse_emphasis("a, b BREAK c") == [
        WeightedText("a, b"),
        ChunkBreak(),
        WeightedText("c"),
    ]
    assert parse_emphasis("(a BREAK b)") == [
        WeightedText("a", 1.1),
        ChunkBreak(),
        WeightedText("b", 1.1),
    ]
    assert weighted_runs("BREAK a") == [("BREAK", -1.0), ("a", 1.0)]
    assert weighted_runs("aBREAK, break, Break") == [("aBREAK, break, Break", 1.0)]
    assert weighted_runs("a BREAK BREAK b") == [
        ("a", 1.0),
        ("BREAK", -1.0),
        ("BREAK", -1.0),
        ("b", 1.0),
    ]


def test_an_unclosed_bracket_weighs_the_rest_of_the_prompt() -> None:
    assert weighted_runs("a, (b, [c") == [("a, ", 1.0), ("b, ", 1.1), ("c", 1.1 * (1 / 1.1))]


# -- property: prompts built from a bracket tree parse back to the tree's texts and weights ----


@dataclass(frozen=True)
class _Round:
    children: tuple[object, ...]
    weight: float | None


@dataclass(frozen=True)
class _Square:
    children: tuple[object, ...]


_WORDS = st.text(alphabet="abcxyz ,'-", min_size=1, max_size=6)
_WEIGHTS = st.one_of(
    st.none(),
    st.sampled_from([0.5, 0.8, 0.95, 1.05, 1.2, 1.3, 1.5, 2.0]),
)
_TREES = st.recursive(
    _WORDS,
    lambda inner: st.one_of(
        st.builds(_Round, st.lists(inner, min_size=1, max_size=3).map(tuple), _WEIGHTS),
        st.builds(_Square, st.lists(inner, min_size=1, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)


def _render(node: object) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, _Round):
        inner = "".join(_render(child) for child in node.children)
        return f"({inner})" if node.weight is None else f"({inner}:{node.weight})"
    assert isinstance(node, _Square)
    return "[" + "".join(_render(child) for child in node.children) + "]"


def _leaves(node: object, multipliers: tuple[float, ...]) -> list[tuple[str, float]]:
    """Leaf texts with their weights, multiplied innermost bracket first (A1111's order)."""
    if isinstance(node, str):
        weight = 1.0
        for multiplier in multipliers:
            weight *= multiplier
        return [(node, weight)]
    if isinstance(node, _Round):
        multiplier = ROUND_BRACKET_MULTIPLIER if node.weight is None else node.weight
    else:
        assert isinstance(node, _Square)
        multiplier = SQUARE_BRACKET_MULTIPLIER
    return [leaf for child in node.children for leaf in _leaves(child, (multiplier, *multipliers))]


def _merged(leaves: list[tuple[str, float]]) -> list[tuple[str, float]]:
    merged: list[tuple[str, float]] = []
    for text, weight in leaves:
        if merged and merged[-1][1] == weight:
            merged[-1] = (merged[-1][0] + text, weight)
        else:
            merged.append((text, weight))
    return merged


@given(st.lists(_TREES, min_size=1, max_size=4))
def test_bracket_trees_parse_to_their_weighted_texts(trees: list[object]) -> None:
    prompt = "".join(_render(tree) for tree in trees)
    expected = _merged([leaf for tree in trees for leaf in _leaves(tree, ())])
    assert weighted_runs(prompt) == expected


@given(st.text(alphabet=st.characters(blacklist_characters="\\()[]:")))
def test_text_without_syntax_is_one_run_of_weight_one(text: str) -> None:
    runs = weighted_runs(text)
    if "BREAK" not in text:
        assert runs == [(text, 1.0)]
    assert all(weight in (1.0, -1.0) for _, weight in runs)
