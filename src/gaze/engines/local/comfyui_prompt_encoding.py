"""Encode a job's prompts as ComfyUI v0.8.0 does (``ClipTokenWeightEncoder.encode_token_weights``).

Each prompt goes through :mod:`gaze.prompts.comfyui_chunking` (ComfyUI's weights and chunks) and,
for each text encoder on its own:

- the chunks run as one batch; the layer ``clip_skip`` picks is read as in A1111's rule (see
  :func:`gaze.engines.local.text_encoding.encoder_layer`);
- when any token of the prompt weighs other than 1, an all-empty chunk (start, end, padding)
  runs in the same batch, and each weighted token's embedding becomes
  ``(z - z_empty) * weight + z_empty``, with ``z_empty`` the empty chunk's embedding at the same
  position. Tokens of weight 1 keep their embedding untouched, and a prompt without weights is
  encoded without the empty chunk;
- the chunks are joined along the sequence; SDXL joins the two encoders along the channels, and
  its pooled embedding is the second encoder's projected output for the first chunk.

Unlike A1111's rule, the positive and negative prompt keep their own lengths (the sampler repeats
them to a common one, as ComfyUI does) and an empty SDXL negative prompt is encoded like any
other. The weighting arithmetic runs in float32, whatever the encoders' dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.engines.local.text_encoding import (
    EncodedChunks,
    EncoderLayer,
    PromptConditioning,
    encoder_hidden_states,
    encoder_layer,
    special_tokens,
    through_every_encoder,
    tokenize_function,
)
from gaze.prompts.chunking import TokenChunk, empty_chunk
from gaze.prompts.comfyui_chunking import comfyui_chunks


def comfyui_tokenize_prompt(tokenizer: Any, prompt: str) -> list[TokenChunk]:
    """The prompt's weighted 77-token chunks for ``tokenizer``, cut as ComfyUI cuts them."""
    return comfyui_chunks(prompt, tokenize_function(tokenizer), special_tokens(tokenizer))


def weighted_from_empty(
    hidden: torch.Tensor, empty: torch.Tensor, chunks: Sequence[TokenChunk]
) -> torch.Tensor:
    """ComfyUI's weighting of ``hidden`` ``[chunks, 77, width]`` against the empty chunk's
    ``empty`` ``[77, width]``, in float32: weighted tokens move away from (or towards) it."""
    values = hidden.float()
    weights = torch.tensor([chunk.weights for chunk in chunks], dtype=torch.float32)
    is_weighted = torch.tensor([[weight != 1.0 for weight in chunk.weights] for chunk in chunks])
    empty_values = empty.float()
    moved = (values - empty_values) * weights.to(values.device).unsqueeze(-1) + empty_values
    return torch.where(is_weighted.to(values.device).unsqueeze(-1), moved, values)


def has_weights(chunks: Sequence[TokenChunk]) -> bool:
    """Whether any token of the chunks weighs other than 1."""
    return any(weight != 1.0 for chunk in chunks for weight in chunk.weights)


def encode_comfyui_chunks(
    encoder: Any,
    chunks: Sequence[TokenChunk],
    empty: TokenChunk,
    layer: EncoderLayer,
    device: torch.device,
) -> EncodedChunks:
    """Run the chunks (and ``empty`` if any token is weighted) through ``encoder``, weighted."""
    weighted = has_weights(chunks)
    rows = [chunk.tokens for chunk in chunks] + ([empty.tokens] if weighted else [])
    hidden, pooled = encoder_hidden_states(encoder, rows, layer, device)
    if weighted:
        hidden = weighted_from_empty(hidden[:-1], hidden[-1], chunks).to(hidden.dtype)
    return EncodedChunks.from_batch(hidden, pooled)


def encode_prompt_comfyui(
    pipeline: Any, prompt: str, layer: EncoderLayer, device: torch.device
) -> EncodedChunks:
    """One prompt through every text encoder of the pipeline, channels joined."""

    def encode(tokenizer: Any, encoder: Any) -> EncodedChunks:
        chunks = comfyui_tokenize_prompt(tokenizer, prompt)
        empty = empty_chunk(special_tokens(tokenizer))
        return encode_comfyui_chunks(encoder, chunks, empty, layer, device)

    return through_every_encoder(pipeline, encode)


def encode_prompts_comfyui(
    pipeline: Any,
    family: ModelFamily,
    positive: str,
    negative: str,
    clip_skip: int | None,
    device: torch.device | str,
) -> PromptConditioning:
    """Encode a job's positive and negative prompt with ComfyUI's rule (see module docstring)."""
    layer = encoder_layer(clip_skip, family)
    target = torch.device(device)
    with torch.inference_mode():
        cond = encode_prompt_comfyui(pipeline, positive, layer, target)
        uncond = encode_prompt_comfyui(pipeline, negative, layer, target)
    return PromptConditioning.from_encoded(cond, uncond)
