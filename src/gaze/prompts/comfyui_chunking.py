"""A prompt as CLIP token chunks of 77, cut the way ComfyUI v0.8.0 cuts them.

ComfyUI's ``SDTokenizer.tokenize_with_weights``, where it differs from A1111's rule
(:mod:`gaze.prompts.chunking`):

- each segment of :func:`gaze.prompts.comfyui_weights.comfyui_segments` is tokenized on its own
  and its tokens form one *group*, all with the segment's weight;
- a chunk holds 75 tokens between its start and end tokens. A group that does not fit in what is
  left of the chunk moves whole to a new chunk when it is shorter than 8 tokens (the chunk is
  closed and padded); a group of 8 tokens or more fills the chunk and continues in the next one;
- no comma backtrack and no ``BREAK`` (it is text);
- chunks are framed and padded as in :mod:`gaze.prompts.chunking`: start, tokens, end, then the
  tokenizer's padding token up to 77 positions, start / end / padding at weight 1.0; an empty
  prompt is one chunk of start, end and padding.

Pure functions: the tokenizer is passed in as a function from texts to token id lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from gaze.prompts.chunking import CHUNK_TOKENS, SpecialTokens, TokenChunk, Tokenize
from gaze.prompts.comfyui_weights import comfyui_segments

LARGE_GROUP_TOKENS = 8
"""A token group this long or longer may be split between chunks (ComfyUI's max_word_length)."""


def _framed(
    tokens: Sequence[int], weights: Sequence[float], special: SpecialTokens, length: int
) -> TokenChunk:
    padding = length - len(tokens)
    return TokenChunk(
        tokens=(special.start, *tokens, special.end, *([special.pad] * padding)),
        weights=(1.0, *weights, 1.0, *([1.0] * padding)),
        prompt_tokens=len(tokens),
    )


def chunk_groups(
    groups: Sequence[tuple[Sequence[int], float]],
    special: SpecialTokens,
    length: int = CHUNK_TOKENS,
) -> list[TokenChunk]:
    """Cut weighted token groups into framed, padded chunks (see the module docstring)."""
    chunks: list[TokenChunk] = []
    tokens: list[int] = []
    weights: list[float] = []
    for group, weight in groups:
        remaining = list(group)
        splittable = len(remaining) >= LARGE_GROUP_TOKENS
        while remaining:
            room = length - len(tokens)
            if len(remaining) <= room:
                tokens += remaining
                weights += [weight] * len(remaining)
                break
            if splittable:
                tokens += remaining[:room]
                weights += [weight] * room
                remaining = remaining[room:]
            chunks.append(_framed(tokens, weights, special, length))
            tokens, weights = [], []
    chunks.append(_framed(tokens, weights, special, length))
    return chunks


def comfyui_chunks(prompt: str, tokenize: Tokenize, special: SpecialTokens) -> list[TokenChunk]:
    """Parse ``prompt``'s weights as ComfyUI does, tokenize each segment and chunk the groups."""
    segments = comfyui_segments(prompt)
    token_lists = tokenize([segment.text for segment in segments]) if segments else []
    groups = [
        (tokens, segment.weight) for tokens, segment in zip(token_lists, segments, strict=True)
    ]
    return chunk_groups(groups, special)
