"""Encode a job's prompts into the embeddings the sampler conditions on, by the job's rule.

diffusers' own prompt encoding cuts every prompt at 77 tokens and reads ``(tag:1.2)`` as text.
Here :func:`encode_prompts` weighs emphasis by ``GenerationSpec.prompt_weighting``:

- ``"comfyui"`` (the default): ComfyUI's syntax, chunks and weighting, see
  :mod:`gaze.engines.local.comfyui_prompt_encoding`;
- ``"a1111"``: A1111's, in this module. Each prompt goes through :mod:`gaze.prompts.chunking`
  (emphasis parsed, 75-token chunks with comma backtrack) and every chunk through the text
  encoder(s):

  - the chunk's hidden states come from the layer ``clip_skip`` selects (see
    :func:`encoder_layer`); SD1.x then applies the encoder's final layer norm, as A1111 does;
  - emphasis as A1111's default ("Original"): each token's embedding is multiplied by its
    weight, then the whole chunk is rescaled so that its mean is what it was before weighting;
  - the chunks' embeddings are joined along the sequence (``77 * chunks`` positions);
  - positive and negative get the same length: the shorter one is padded with the embedding of
    an empty prompt's chunk (as A1111 pads cond / uncond);
  - SDXL: the two encoders' chunk embeddings are joined along the channels, and the pooled
    embedding is the second encoder's projected output for the *first* chunk. An empty SDXL
    negative prompt is all zeros (embedding and pooled), as in A1111 and SDXL's reference code.

  The emphasis arithmetic runs in float32, whatever the encoders' dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from gaze.engines.base import EngineError
from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.engines.local.comfyui_prompt_encoding import encode_prompts_comfyui
from gaze.engines.local.text_encoding import (
    EncodedChunks,
    EncoderLayer,
    PromptConditioning,
    encoder_hidden_states,
    encoder_layer,
    final_layer_norm,
    special_tokens,
    through_every_encoder,
    tokenize_function,
)
from gaze.generation_spec import PROMPT_WEIGHTINGS, PromptWeighting
from gaze.prompts.chunking import CHUNK_POSITIONS, TokenChunk, empty_chunk, prompt_chunks

__all__ = [
    "EncoderLayer",
    "PromptConditioning",
    "apply_emphasis",
    "encode_prompts",
    "encoder_layer",
    "final_layer_norm",
    "special_tokens",
    "tokenize_prompt",
]


def tokenize_prompt(tokenizer: Any, prompt: str) -> list[TokenChunk]:
    """The prompt's weighted 77-token chunks for ``tokenizer`` (A1111's rule)."""
    return prompt_chunks(prompt, tokenize_function(tokenizer), special_tokens(tokenizer))


def apply_emphasis(embeddings: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """A1111's emphasis on ``[chunks, 77, width]``: scale each token, restore each chunk's mean."""
    if bool(torch.all(weights == 1.0)):
        return embeddings
    values = embeddings.float()
    original_mean = values.mean(dim=(1, 2), keepdim=True)
    weighted = values * weights.float().unsqueeze(-1)
    weighted_mean = weighted.mean(dim=(1, 2), keepdim=True)
    scale = torch.where(weighted_mean == 0, 1.0, original_mean / weighted_mean)
    return (weighted * scale).to(embeddings.dtype)


def encode_chunks(
    encoder: Any, chunks: Sequence[TokenChunk], layer: EncoderLayer, device: torch.device
) -> EncodedChunks:
    """Run the chunks through ``encoder`` (as one batch), weight them A1111's way, join them."""
    rows = [chunk.tokens for chunk in chunks]
    hidden, pooled = encoder_hidden_states(encoder, rows, layer, device)
    weights = torch.tensor([chunk.weights for chunk in chunks], device=device)
    return EncodedChunks.from_batch(apply_emphasis(hidden, weights), pooled)


def encode_prompt(
    pipeline: Any, prompt: str, layer: EncoderLayer, device: torch.device
) -> EncodedChunks:
    """One prompt through every text encoder of the pipeline, channels joined (A1111's rule)."""

    def encode(tokenizer: Any, encoder: Any) -> EncodedChunks:
        return encode_chunks(encoder, tokenize_prompt(tokenizer, prompt), layer, device)

    return through_every_encoder(pipeline, encode)


def _empty_chunk_embedding(
    pipeline: Any, layer: EncoderLayer, device: torch.device
) -> torch.Tensor:
    def encode(tokenizer: Any, encoder: Any) -> EncodedChunks:
        return encode_chunks(encoder, [empty_chunk(special_tokens(tokenizer))], layer, device)

    return through_every_encoder(pipeline, encode).embeddings


def _padded(embeddings: torch.Tensor, chunks: int, empty: torch.Tensor) -> torch.Tensor:
    missing = chunks - embeddings.shape[1] // CHUNK_POSITIONS
    if missing <= 0:
        return embeddings
    return torch.cat([embeddings, empty.repeat(1, missing, 1)], dim=1)


def encode_prompts_a1111(
    pipeline: Any,
    family: ModelFamily,
    positive: str,
    negative: str,
    clip_skip: int | None,
    device: torch.device | str,
) -> PromptConditioning:
    """Encode a job's positive and negative prompt with A1111's rule (see the module docstring)."""
    layer = encoder_layer(clip_skip, family)
    target = torch.device(device)
    with torch.inference_mode():
        cond = encode_prompt(pipeline, positive, layer, target)
        zero_negative = family == "sdxl" and not negative.strip()
        if zero_negative:
            uncond = EncodedChunks(
                embeddings=torch.zeros_like(cond.embeddings[:, :CHUNK_POSITIONS]),
                pooled=torch.zeros_like(cond.pooled) if cond.pooled is not None else None,
            )
        else:
            uncond = encode_prompt(pipeline, negative, layer, target)
        chunks = max(cond.embeddings.shape[1], uncond.embeddings.shape[1]) // CHUNK_POSITIONS
        if cond.embeddings.shape[1] != uncond.embeddings.shape[1]:
            empty = _empty_chunk_embedding(pipeline, layer, target)
            cond.embeddings = _padded(cond.embeddings, chunks, empty)
            uncond.embeddings = _padded(uncond.embeddings, chunks, empty)
    return PromptConditioning.from_encoded(cond, uncond)


def encode_prompts(
    pipeline: Any,
    family: ModelFamily,
    positive: str,
    negative: str,
    clip_skip: int | None,
    device: torch.device | str,
    weighting: PromptWeighting = "comfyui",
) -> PromptConditioning:
    """Encode a job's positive and negative prompt for ``pipeline`` with ``weighting``'s rule."""
    if weighting == "comfyui":
        return encode_prompts_comfyui(pipeline, family, positive, negative, clip_skip, device)
    if weighting == "a1111":
        return encode_prompts_a1111(pipeline, family, positive, negative, clip_skip, device)
    raise EngineError(
        f"unknown prompt weighting {weighting!r}; choose one of {', '.join(PROMPT_WEIGHTINGS)}"
    )
