"""ComfyUI's emphasis syntax and chunking (pure; a word-per-token tokenizer), against A1111's.

The expected segments and floats are what ComfyUI v0.8.0's ``token_weights`` returns for each
prompt. The real CLIP tokenizer and text encoders are checked in
tests/engines/local/test_prompt_weighting.py.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaze.prompts.chunking import CHUNK_TOKENS, SpecialTokens, TokenChunk, prompt_chunks
from gaze.prompts.comfyui_chunking import LARGE_GROUP_TOKENS, chunk_groups, comfyui_chunks
from gaze.prompts.comfyui_weights import comfyui_segments, comfyui_weighted_runs
from gaze.prompts.emphasis import WeightedText, weighted_runs

START, END, PAD, COMMA = 49406, 49407, 0, 267
SPECIAL = SpecialTokens(start=START, end=END, pad=PAD, comma=COMMA)
SYMBOLS = {",": COMMA, "(": 901, ")": 902, "[": 903, "]": 904, "BREAK": 905, ":": 906}
_WORD = re.compile(r"t(\d+)|BREAK|[,()\[\]:]")


def word_tokens(texts: list[str]) -> list[list[int]]:
    """One token per word ``t<n>`` (id n) and per symbol of ``SYMBOLS``; the rest is ignored."""
    return [
        [
            int(match.group(1)) if match.group(1) else SYMBOLS[match.group(0)]
            for match in _WORD.finditer(text)
        ]
        for text in texts
    ]


def words(start: int, count: int) -> str:
    return " ".join(f"t{index}" for index in range(start, start + count))


def content(chunk: TokenChunk) -> list[int]:
    return list(chunk.tokens[1 : 1 + chunk.prompt_tokens])


# -- syntax --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "runs"),
    [
        ("normal text", [("normal text", 1.0)]),
        ("an (important) word", [("an ", 1.0), ("important", 1.1), (" word", 1.0)]),
        ("(x:1.3)", [("x", 1.3)]),
        ("a (red cat:1.3), grass", [("a ", 1.0), ("red cat", 1.3), (", grass", 1.0)]),
        ("(x:0.5) (y:-1) (z:1e1)", [("x", 0.5), (" ", 1.0), ("y", -1.0), (" ", 1.0), ("z", 10.0)]),
        ("( a : 1.3 )", [(" a ", 1.3)]),  # Python's float() takes the spaces
        ("(a:1.2:1.3)", [("a:1.2", 1.3)]),  # the last colon holds the weight
        ("(a:1)", [("a", 1.0)]),
        ("(a:b)", [("a:b", 1.1)]),  # not a number: text, and the group weighs 1.1
        ("(:1.2)", [(":1.2", 1.1)]),  # a colon that opens the group is text
        ("a: b", [("a: b", 1.0)]),
        # Segments are not merged, even with equal weights.
        ("(a)(b)", [("a", 1.1), ("b", 1.1)]),
        ("a (b:1.0) c", [("a ", 1.0), ("b", 1.0), (" c", 1.0)]),
        ("", []),
        ("()", []),
        ("a ()", [("a ", 1.0)]),
    ],
)
def test_weights_and_segments_as_comfyui_reads_them(
    prompt: str, runs: list[tuple[str, float]]
) -> None:
    assert comfyui_weighted_runs(prompt) == runs
    assert comfyui_segments(prompt) == [WeightedText(text, weight) for text, weight in runs]


@pytest.mark.parametrize(
    ("prompt", "runs"),
    [
        ("((a))", [("a", 1.2100000000000002)]),
        ("(((a)))", [("a", 1.3310000000000004)]),
        # An explicit weight replaces what the brackets around it give ...
        ("((a:1.3))", [("a", 1.3)]),
        ("(a (b:0.5) c)", [("a ", 1.1), ("b", 0.5), (" c", 1.1)]),
        # ... and brackets inside it multiply it.
        ("((a):1.5)", [("a", 1.6500000000000001)]),
        ("(x (y (z)):0.8)", [("x ", 0.8), ("y ", 0.8800000000000001), ("z", 0.9680000000000002)]),
    ],
)
def test_nested_weights(prompt: str, runs: list[tuple[str, float]]) -> None:
    assert comfyui_weighted_runs(prompt) == runs


@pytest.mark.parametrize(
    ("prompt", "runs"),
    [
        (r"yuuki \(series\)", [("yuuki (series)", 1.0)]),
        (r"\((a)\)", [("(", 1.0), ("a", 1.1), (")", 1.0)]),
        (r"(a \(b\):1.2)", [("a (b)", 1.2)]),
        (r"(a:1.2\))", [("a:1.2)", 1.1)]),  # the escaped bracket is part of the "number"
        (r"\(a:1.2)", [("(a:1.2)", 1.0)]),
        ("a\\b \\[c\\]", [("a\\b \\[c\\]", 1.0)]),  # other backslashes stay as they are
        ("\\\\(a)", [("\\(a)", 1.0)]),  # a backslash cannot escape a backslash
    ],
)
def test_escaped_brackets(prompt: str, runs: list[tuple[str, float]]) -> None:
    assert comfyui_weighted_runs(prompt) == runs


@pytest.mark.parametrize(
    "prompt", ["[x]", "a [[b]] c", "{x}", "[x:1.2]", "a BREAK b", "(a BREAK b)"]
)
def test_square_brackets_braces_and_break_are_text(prompt: str) -> None:
    runs = comfyui_weighted_runs(prompt)
    assert "".join(text for text, _ in runs) == prompt.replace("(", "").replace(")", "")
    expected_weight = 1.1 if prompt.startswith("(") else 1.0
    assert {weight for _, weight in runs} == {expected_weight}


@pytest.mark.parametrize(
    ("prompt", "runs"),
    [
        ("(a, b", [("(a, b", 1.0)]),  # an open group is text
        ("x (a, b", [("x ", 1.0), ("(a, b", 1.0)]),
        ("((a)", [("(a", 1.1)]),  # the outer group closes; the inner one stays open
        ("(a))", [("a", 1.1), (")", 1.0)]),
        ("a) b", [("a) b", 1.0)]),
        ("a) (b)", [("a) (b)", 1.0)]),  # the stray ")" still counts in the nesting
        ("a) ((b))", [("a) (", 1.0), ("b", 1.1), (")", 1.0)]),
        ("(a:1.2", [("(a:1.2", 1.0)]),
    ],
)
def test_unbalanced_brackets(prompt: str, runs: list[tuple[str, float]]) -> None:
    assert comfyui_weighted_runs(prompt) == runs


@pytest.mark.parametrize(
    ("prompt", "comfyui", "a1111"),
    [
        ("[x]", [("[x]", 1.0)], [("x", 1 / 1.1)]),
        ("((a:1.3))", [("a", 1.3)], [("a", 1.4300000000000002)]),
        ("(a, b", [("(a, b", 1.0)], [("a, b", 1.1)]),
        ("a) b", [("a) b", 1.0)], [("a) b", 1.0)]),
        ("(a)(b)", [("a", 1.1), ("b", 1.1)], [("ab", 1.1)]),
        ("a\\b", [("a\\b", 1.0)], [("ab", 1.0)]),
        ("a BREAK b", [("a BREAK b", 1.0)], [("a", 1.0), ("BREAK", -1.0), ("b", 1.0)]),
        ("(a:1.2:1.3)", [("a:1.2", 1.3)], [("a:1.2", 1.3)]),
    ],
)
def test_where_the_a1111_rule_reads_otherwise(
    prompt: str, comfyui: list[tuple[str, float]], a1111: list[tuple[str, float]]
) -> None:
    assert comfyui_weighted_runs(prompt) == comfyui
    assert weighted_runs(prompt) == a1111


_PLAIN_TEXT = st.text(alphabet=st.characters(blacklist_characters="()\\"), min_size=1)


@given(_PLAIN_TEXT)
def test_text_without_round_brackets_is_one_segment_of_weight_one(text: str) -> None:
    assert comfyui_weighted_runs(text) == [(text, 1.0)]


@given(_PLAIN_TEXT.filter(lambda text: ":" not in text))
def test_one_bracket_pair_weighs_1_1(text: str) -> None:
    assert comfyui_weighted_runs(f"({text})") == [(text, 1.1)]


@given(st.text(alphabet="ab :1.()\\[]", max_size=30))
def test_any_prompt_parses_into_non_empty_segments(prompt: str) -> None:
    runs = comfyui_weighted_runs(prompt)
    assert all(text for text, _ in runs)
    # Only round brackets and escaping backslashes (and weights) are taken out of the text.
    kept = "".join(text for text, _ in runs)
    assert set(kept) <= set(prompt)


# -- chunks --------------------------------------------------------------------------------------


def chunks_of(prompt: str) -> list[TokenChunk]:
    return comfyui_chunks(prompt, word_tokens, SPECIAL)


def test_the_empty_prompt_is_one_chunk_of_start_end_and_padding() -> None:
    for prompt in ("", "()", "  "):
        (chunk,) = chunks_of(prompt)
        assert chunk.tokens == (START, END, *([PAD] * 75))
        assert chunk.weights == (1.0,) * 77
        assert chunk.prompt_tokens == 0


def test_a_long_segment_fills_chunks_of_75() -> None:
    chunks = chunks_of(words(1, 200))
    assert [len(chunk.tokens) for chunk in chunks] == [77, 77, 77]
    assert [content(chunk) for chunk in chunks] == [
        list(range(1, 76)),
        list(range(76, 151)),
        list(range(151, 201)),
    ]
    for chunk in chunks[:2]:
        assert chunk.tokens[0] == START and chunk.tokens[76] == END
    assert chunks[2].tokens[51:] == (END, *([PAD] * 25))
    assert len(chunks_of(words(1, CHUNK_TOKENS))) == 1
    assert len(chunks_of(words(1, CHUNK_TOKENS + 1))) == 2


def test_a_short_group_that_does_not_fit_moves_whole_to_the_next_chunk() -> None:
    short = LARGE_GROUP_TOKENS - 1
    chunks = chunks_of(f"{words(1, 70)} ({words(100, short)})")
    assert [chunk.prompt_tokens for chunk in chunks] == [70, short]
    assert chunks[0].tokens[71:] == (END, *([PAD] * 5))
    assert content(chunks[1]) == list(range(100, 100 + short))
    assert chunks[1].weights[1 : 1 + short] == (1.1,) * short


def test_a_group_of_8_or_more_tokens_is_split_between_chunks() -> None:
    chunks = chunks_of(f"{words(1, 70)} ({words(100, LARGE_GROUP_TOKENS)})")
    assert [chunk.prompt_tokens for chunk in chunks] == [75, 3]
    assert content(chunks[0])[70:] == [100, 101, 102, 103, 104]
    assert chunks[0].weights[71:76] == (1.1,) * 5
    assert content(chunks[1]) == [105, 106, 107]


def test_a_group_that_fills_the_chunk_exactly_stays_in_it() -> None:
    chunks = chunks_of(f"{words(1, 70)} ({words(100, 5)})")
    assert [chunk.prompt_tokens for chunk in chunks] == [75]


def test_no_comma_backtrack_and_break_is_a_token() -> None:
    tags = ", ".join(words(index * 6 + 1, 6) for index in range(17))  # 118 tokens
    comfyui = chunks_of(tags)
    assert [chunk.prompt_tokens for chunk in comfyui] == [75, 43]
    a1111 = prompt_chunks(tags, word_tokens, SPECIAL)
    assert [chunk.prompt_tokens for chunk in a1111] == [70, 48]  # cut after the last comma
    (chunk,) = chunks_of("t1 BREAK t2")
    assert content(chunk) == [1, SYMBOLS["BREAK"], 2]


def test_square_brackets_reach_the_tokenizer_at_weight_one() -> None:
    (chunk,) = chunks_of("t1 [t2] (t3)")
    assert content(chunk) == [1, SYMBOLS["["], 2, SYMBOLS["]"], 3]
    assert chunk.weights[:7] == (1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.0)


def test_each_token_carries_its_segments_weight() -> None:
    (chunk,) = chunks_of("t1 (t2 (t3:0.5) t4:1.2) t5")
    assert content(chunk) == [1, 2, 3, 4, 5]
    assert chunk.weights[:7] == (1.0, 1.0, 1.2, 0.5, 1.2, 1.0, 1.0)
    assert set(chunk.weights[7:]) == {1.0}


@given(
    st.lists(
        st.tuples(st.integers(0, 160), st.sampled_from([1.0, 1.1, 0.5])), min_size=0, max_size=12
    )
)
def test_chunks_keep_every_token_in_order(groups: list[tuple[int, float]]) -> None:
    token_groups = []
    next_id = 1
    for size, weight in groups:
        token_groups.append((list(range(next_id, next_id + size)), weight))
        next_id += size
    chunks = chunk_groups(token_groups, SPECIAL)
    assert all(len(chunk.tokens) == 77 and len(chunk.weights) == 77 for chunk in chunks)
    assert [token for chunk in chunks for token in content(chunk)] == list(range(1, next_id))
    weights = [chunk.weights[1 + i] for chunk in chunks for i in range(chunk.prompt_tokens)]
    assert weights == [weight for size, weight in groups for _ in range(size)]
    # A short group is never cut in two.
    for tokens, _ in token_groups:
        if 0 < len(tokens) < LARGE_GROUP_TOKENS:
            assert any(set(tokens) <= set(content(chunk)) for chunk in chunks)
