"""Weighted prompts as CLIP token chunks of 77: start token, 75 prompt tokens, end token.

CLIP text encoders see 77 positions. Like A1111 (and ComfyUI), a longer prompt is cut into chunks
of 75 tokens, each framed by the start and end tokens and encoded on its own; the engine then
joins the chunks' embeddings into one long sequence. The rules, which follow A1111's
``tokenize_line``:

- every text run of :func:`gaze.prompts.emphasis.parse_emphasis` is tokenized on its own (no
  start or end token) and each token carries its run's weight;
- a chunk holds 75 tokens; the next token starts a new chunk;
- *comma backtrack*: when a chunk is full and the last comma lies at most ``comma_backtrack``
  tokens back (20, A1111's default), the tokens after that comma move to the next chunk, so a tag
  is not cut in two. The chunk is padded instead;
- ``BREAK`` closes the current chunk at once (padded to full length);
- a chunk is ``start, tokens..., end`` followed by padding up to 77 positions; the padding
  token is the tokenizer's own (``<|endoftext|>`` for CLIP-L, ``!`` (id 0) for SDXL's OpenCLIP
  encoder). Start, end and padding positions have weight 1.0;
- an empty prompt is one chunk of just start, end and padding.

Pure functions: the tokenizer is passed in as a function from texts to token id lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gaze.prompts.emphasis import ChunkBreak, WeightedText, parse_emphasis

CHUNK_TOKENS = 75
"""Prompt tokens per chunk (77 positions minus the start and end tokens)."""
CHUNK_POSITIONS = CHUNK_TOKENS + 2
"""Positions of a chunk: start token, prompt tokens and padding, end token."""
COMMA_BACKTRACK = 20
"""A1111's default "prompt word wrap length limit", in tokens."""

Tokenize = Callable[[list[str]], Sequence[Sequence[int]]]
"""Token ids of each text, without start / end tokens and without truncation."""


@dataclass(frozen=True)
class SpecialTokens:
    """The ids a chunk is framed and padded with, and the id of ``,`` (for comma backtrack)."""

    start: int
    end: int
    pad: int
    comma: int


@dataclass(frozen=True)
class TokenChunk:
    """One chunk as the encoder sees it: ``CHUNK_TOKENS + 2`` token ids and their weights."""

    tokens: tuple[int, ...]
    weights: tuple[float, ...]
    prompt_tokens: int
    """How many of the positions hold prompt tokens (the rest is start, end and padding)."""


@dataclass
class _OpenChunk:
    tokens: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def _closed(chunk: _OpenChunk, special: SpecialTokens, length: int) -> TokenChunk:
    padding = length - len(chunk.tokens)
    return TokenChunk(
        tokens=(special.start, *chunk.tokens, special.end, *([special.pad] * padding)),
        weights=(1.0, *chunk.weights, 1.0, *([1.0] * padding)),
        prompt_tokens=len(chunk.tokens),
    )


def empty_chunk(special: SpecialTokens, length: int = CHUNK_TOKENS) -> TokenChunk:
    """The chunk of an empty prompt (what a shorter prompt is padded with, chunk-wise)."""
    return _closed(_OpenChunk(), special, length)


def chunk_tokens(
    parts: Sequence[tuple[Sequence[int], float] | ChunkBreak],
    special: SpecialTokens,
    length: int = CHUNK_TOKENS,
    comma_backtrack: int = COMMA_BACKTRACK,
) -> list[TokenChunk]:
    """Cut weighted token runs (and breaks) into framed, padded chunks (see module docstring)."""
    chunks: list[TokenChunk] = []
    chunk = _OpenChunk()
    last_comma = -1

    def close(current: _OpenChunk) -> _OpenChunk:
        nonlocal last_comma
        chunks.append(_closed(current, special, length))
        last_comma = -1
        return _OpenChunk()

    for part in parts:
        if isinstance(part, ChunkBreak):
            chunk = close(chunk)
            continue
        tokens, weight = part
        for token in tokens:
            if token == special.comma:
                last_comma = len(chunk.tokens)
            elif (
                comma_backtrack
                and len(chunk.tokens) == length
                and last_comma != -1
                and len(chunk.tokens) - last_comma <= comma_backtrack
            ):
                cut = last_comma + 1
                moved = _OpenChunk(chunk.tokens[cut:], chunk.weights[cut:])
                del chunk.tokens[cut:], chunk.weights[cut:]
                close(chunk)
                chunk = moved
            if len(chunk.tokens) == length:
                chunk = close(chunk)
            chunk.tokens.append(token)
            chunk.weights.append(weight)
    if chunk.tokens or not chunks:
        close(chunk)
    return chunks


def prompt_chunks(
    prompt: str,
    tokenize: Tokenize,
    special: SpecialTokens,
    comma_backtrack: int = COMMA_BACKTRACK,
) -> list[TokenChunk]:
    """Parse ``prompt``'s emphasis, tokenize each run and cut the tokens into chunks."""
    parts = parse_emphasis(prompt)
    texts = [part.text for part in parts if isinstance(part, WeightedText)]
    token_lists = iter(tokenize(texts) if texts else [])
    runs: list[tuple[Sequence[int], float] | ChunkBreak] = [
        part if isinstance(part, ChunkBreak) else (next(token_lists), part.weight) for part in parts
    ]
    return chunk_tokens(runs, special, comma_backtrack=comma_backtrack)
