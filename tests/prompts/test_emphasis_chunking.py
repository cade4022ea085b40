"""Weighted prompts cut into 77-token chunks the way A1111 does (pure; a word-per-token tokenizer).

The real CLIP tokenizer is checked against the same rules in
tests/engines/local/test_prompt_encoding.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaze.prompts.chunking import (
    CHUNK_TOKENS,
    SpecialTokens,
    TokenChunk,
    chunk_tokens,
    empty_chunk,
    prompt_chunks,
)
from gaze.prompts.emphasis import ChunkBreak

START, END, PAD, COMMA = 49406, 49407, 0, 267
SPECIAL = SpecialTokens(start=START, end=END, pad=PAD, comma=COMMA)
_WORD = re.compile(r"t(\d+)|,")


def word_tokens(texts: list[str]) -> list[list[int]]:
    """One token per word ``t<n>`` (id n) and per comma; everything else is ignored."""
    return [
        [COMMA if match.group(0) == "," else int(match.group(1)) for match in _WORD.finditer(text)]
        for text in texts
    ]


def words(start: int, count: int) -> str:
    return " ".join(f"t{index}" for index in range(start, start + count))


def chunks_of(prompt: str, backtrack: int = 20) -> list[TokenChunk]:
    return prompt_chunks(prompt, word_tokens, SPECIAL, comma_backtrack=backtrack)


def content(chunk: TokenChunk) -> list[int]:
    return list(chunk.tokens[1 : 1 + chunk.prompt_tokens])


def test_a_200_token_prompt_gives_three_chunks_of_77() -> None:
    chunks = chunks_of(words(1, 200))
    assert [len(chunk.tokens) for chunk in chunks] == [77, 77, 77]
    assert [chunk.prompt_tokens for chunk in chunks] == [75, 75, 50]
    assert content(chunks[0]) == list(range(1, 76))
    assert content(chunks[1]) == list(range(76, 151))
    assert content(chunks[2]) == list(range(151, 201))
    for chunk in chunks[:2]:
        assert chunk.tokens[0] == START and chunk.tokens[76] == END
    last = chunks[2]
    assert last.tokens[51] == END
    assert last.tokens[52:] == (PAD,) * 25
    assert all(len(chunk.weights) == 77 for chunk in chunks)


@pytest.mark.parametrize(("count", "chunks"), [(0, 1), (1, 1), (75, 1), (76, 2), (150, 2)])
def test_chunk_count_boundaries(count: int, chunks: int) -> None:
    assert len(chunks_of(words(1, count))) == chunks


def test_empty_prompt_is_one_framed_padded_chunk() -> None:
    (chunk,) = chunks_of("")
    assert chunk == empty_chunk(SPECIAL)
    assert chunk.tokens == (START, END, *([PAD] * 75))
    assert chunk.weights == (1.0,) * 77
    assert chunk.prompt_tokens == 0


def test_a_weight_lands_on_exactly_the_tokens_of_its_run() -> None:
    (chunk,) = chunks_of("t1 t2 (t3 t4:1.3) [t5] t6")
    assert content(chunk) == [1, 2, 3, 4, 5, 6]
    assert chunk.weights[:8] == (1.0, 1.0, 1.0, 1.3, 1.3, 1 / 1.1, 1.0, 1.0)
    assert set(chunk.weights[8:]) == {1.0}


def test_weights_follow_tokens_across_a_chunk_boundary() -> None:
    chunks = chunks_of(f"{words(1, 74)} (t75 t76 t77:1.5) t78", backtrack=0)
    assert content(chunks[0])[-1] == 75
    assert chunks[0].weights[75] == 1.5  # position 75 holds prompt token 75
    assert chunks[1].tokens[1:4] == (76, 77, 78)
    assert chunks[1].weights[1:4] == (1.5, 1.5, 1.0)


def test_comma_backtrack_moves_the_last_tag_to_the_next_chunk() -> None:
    # 70 tokens, a comma, then a 10-token tag: the tag would straddle the boundary.
    prompt = f"{words(1, 70)}, {words(101, 10)}"
    first, second = chunks_of(prompt)
    assert content(first) == [*range(1, 71), COMMA]  # cut after the comma, padded
    assert first.tokens[72] == END and set(first.tokens[73:]) == {PAD}
    assert content(second) == list(range(101, 111))
    # Without backtrack the chunk is filled to 75 and the tag is cut in two.
    strict_first, strict_second = chunks_of(prompt, backtrack=0)
    assert content(strict_first) == [*range(1, 71), COMMA, 101, 102, 103, 104]
    assert content(strict_second) == list(range(105, 111))


def test_comma_too_far_back_does_not_move_anything() -> None:
    prompt = f"{words(1, 40)}, {words(101, 40)}"  # the comma is 35 tokens before the end
    first, second = chunks_of(prompt)
    assert first.prompt_tokens == 75
    assert content(second) == list(range(135, 141))


def test_break_pads_the_chunk_and_starts_the_next() -> None:
    first, second = chunks_of("t1 t2 BREAK t3")
    assert content(first) == [1, 2]
    assert content(second) == [3]
    assert [len(chunk.tokens) for chunk in (first, second)] == [77, 77]
    leading, text = chunks_of("BREAK t1")
    assert leading == empty_chunk(SPECIAL)
    assert content(text) == [1]


def test_chunk_tokens_accepts_runs_and_breaks_directly() -> None:
    runs: Sequence[tuple[Sequence[int], float] | ChunkBreak] = [([5, 6], 1.2), ChunkBreak()]
    (chunk,) = chunk_tokens(runs, SPECIAL)
    assert chunk.tokens[:4] == (START, 5, 6, END)
    assert chunk.weights[:4] == (1.0, 1.2, 1.2, 1.0)


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=30))
def test_every_token_is_kept_in_order(count: int, backtrack: int) -> None:
    tags = ", ".join(words(index * 3 + 1, 3) for index in range(count // 3))
    chunks = chunks_of(tags, backtrack=backtrack)
    kept = [token for chunk in chunks for token in content(chunk)]
    assert kept == word_tokens([tags])[0]
    for chunk in chunks:
        assert len(chunk.tokens) == len(chunk.weights) == CHUNK_TOKENS + 2
        assert chunk.tokens[0] == START
        assert chunk.tokens[chunk.prompt_tokens + 1] == END
        assert set(chunk.tokens[chunk.prompt_tokens + 2 :]) <= {PAD}
