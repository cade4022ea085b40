"""Encode a job's prompts into the embeddings the diffusers pipeline samples with, A1111-style.

diffusers' own prompt encoding cuts every prompt at 77 tokens and reads ``(tag:1.2)`` as text.
Here each prompt goes through :mod:`gaze.prompts.chunking` (emphasis parsed, 75-token chunks) and
every chunk through the text encoder(s):

- the chunk's hidden states come from the layer ``clip_skip`` selects (see
  :func:`encoder_layer`); SD1.x then applies the encoder's final layer norm, as A1111 does;
- emphasis as A1111's default ("Original"): each token's embedding is multiplied by its weight,
  then the whole chunk is rescaled so that its mean is what it was before weighting;
- the chunks' embeddings are joined along the sequence (``77 * chunks`` positions);
- positive and negative get the same length: the shorter one is padded with the embedding of an
  empty prompt's chunk (as A1111 pads cond / uncond);
- SDXL: the two encoders' chunk embeddings are joined along the channels, and the pooled
  embedding is the second encoder's projected output for the *first* chunk. An empty SDXL
  negative prompt is all zeros (embedding and pooled), as in A1111 and SDXL's reference code.

The emphasis arithmetic runs in float32, whatever the encoders' dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gaze.engines.base import EngineError
from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.prompts.chunking import (
    CHUNK_POSITIONS,
    SpecialTokens,
    TokenChunk,
    Tokenize,
    empty_chunk,
    prompt_chunks,
)

COMMA_TOKEN = ",</w>"
SDXL_DEFAULT_CLIP_SKIP = 2
"""SDXL conditions on the penultimate layer of both encoders by default (clip skip 2)."""


@dataclass(frozen=True)
class EncoderLayer:
    """Which hidden state a text encoder's chunk embedding is read from."""

    from_end: int
    """1 = the last layer, 2 = the penultimate... (A1111's clip skip)."""
    final_layer_norm: bool
    """Apply the encoder's final layer norm to it (SD1.x: always; SDXL: never)."""


def encoder_layer(clip_skip: int | None, family: ModelFamily) -> EncoderLayer:
    """The hidden layer an A1111-style ``clip_skip`` selects (1 or None = the model's default).

    SD1.x: layer ``-clip_skip``, then the final layer norm (the last layer's output already has
    it). SDXL: both encoders use layer ``-max(clip_skip, 2)`` without the final layer norm, so 1
    and 2 both give SDXL's usual penultimate layer and 3 skips one more (ComfyUI's
    ``CLIPSetLastLayer`` on both encoders).
    """
    if clip_skip is not None and clip_skip < 1:
        raise EngineError(f"clip_skip must be 1 or more (A1111 style), got {clip_skip}")
    if family == "sd1":
        return EncoderLayer(from_end=clip_skip or 1, final_layer_norm=True)
    return EncoderLayer(
        from_end=max(clip_skip or SDXL_DEFAULT_CLIP_SKIP, SDXL_DEFAULT_CLIP_SKIP),
        final_layer_norm=False,
    )


def special_tokens(tokenizer: Any) -> SpecialTokens:
    """Start, end, padding and comma ids of a CLIP tokenizer."""
    return SpecialTokens(
        start=int(tokenizer.bos_token_id),
        end=int(tokenizer.eos_token_id),
        pad=int(tokenizer.pad_token_id),
        comma=int(tokenizer.convert_tokens_to_ids(COMMA_TOKEN)),
    )


def tokenize_function(tokenizer: Any) -> Tokenize:
    """Token ids of each text with ``tokenizer``: no start / end tokens, no truncation."""

    def tokenize(texts: list[str]) -> list[list[int]]:
        encoded = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)
        return [list(ids) for ids in encoded["input_ids"]]

    return tokenize


def tokenize_prompt(tokenizer: Any, prompt: str) -> list[TokenChunk]:
    """The prompt's weighted 77-token chunks for ``tokenizer``."""
    return prompt_chunks(prompt, tokenize_function(tokenizer), special_tokens(tokenizer))


def final_layer_norm(encoder: Any) -> torch.nn.Module:
    """The final layer norm of a (flattened or wrapped) transformers CLIP text model."""
    norm = getattr(encoder, "final_layer_norm", None)
    if norm is None:
        norm = encoder.text_model.final_layer_norm
    return norm


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


@dataclass
class EncodedChunks:
    """One prompt through one text encoder."""

    embeddings: torch.Tensor
    """``[1, 77 * chunks, width]``."""
    pooled: torch.Tensor | None
    """``[1, projection]`` for the first chunk, from encoders that have a projection."""


def encode_chunks(
    encoder: Any, chunks: Sequence[TokenChunk], layer: EncoderLayer, device: torch.device
) -> EncodedChunks:
    """Run the chunks through ``encoder`` (as one batch), weight them and join them."""
    layers = int(encoder.config.num_hidden_layers)
    if layer.from_end > layers:
        raise EngineError(
            f"clip_skip {layer.from_end} is more than the text encoder's {layers} layers"
        )
    ids = torch.tensor([chunk.tokens for chunk in chunks], dtype=torch.long, device=device)
    output = encoder(input_ids=ids, output_hidden_states=layer.from_end > 1)
    if layer.from_end == 1:
        hidden = output.last_hidden_state  # the final layer norm is already applied
    else:
        hidden = output.hidden_states[-layer.from_end]
        if layer.final_layer_norm:
            hidden = final_layer_norm(encoder)(hidden)
    weights = torch.tensor([chunk.weights for chunk in chunks], device=device)
    weighted = apply_emphasis(hidden, weights)
    pooled = getattr(output, "text_embeds", None)
    return EncodedChunks(
        embeddings=weighted.reshape(1, -1, weighted.shape[-1]),
        pooled=pooled[:1] if pooled is not None else None,
    )


@dataclass
class PromptConditioning:
    """Both prompts, encoded: what replaces ``prompt`` / ``negative_prompt`` in the pipeline."""

    prompt_embeds: torch.Tensor
    negative_prompt_embeds: torch.Tensor
    pooled_prompt_embeds: torch.Tensor | None
    negative_pooled_prompt_embeds: torch.Tensor | None
    chunks: int
    """Chunks per prompt after padding (``prompt_embeds`` has ``77 * chunks`` positions)."""

    def pipeline_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "prompt_embeds": self.prompt_embeds,
            "negative_prompt_embeds": self.negative_prompt_embeds,
        }
        if self.pooled_prompt_embeds is not None:
            arguments["pooled_prompt_embeds"] = self.pooled_prompt_embeds
            arguments["negative_pooled_prompt_embeds"] = self.negative_pooled_prompt_embeds
        return arguments


def _encoders(pipeline: Any) -> list[tuple[Any, Any]]:
    pairs = [(pipeline.tokenizer, pipeline.text_encoder)]
    if getattr(pipeline, "text_encoder_2", None) is not None:
        pairs.append((pipeline.tokenizer_2, pipeline.text_encoder_2))
    return pairs


def encode_prompt(
    pipeline: Any, prompt: str, layer: EncoderLayer, device: torch.device
) -> EncodedChunks:
    """One prompt through every text encoder of the pipeline, channels joined."""
    encoded = [
        encode_chunks(encoder, tokenize_prompt(tokenizer, prompt), layer, device)
        for tokenizer, encoder in _encoders(pipeline)
    ]
    return _joined(encoded)


def _joined(encoded: list[EncodedChunks]) -> EncodedChunks:
    lengths = {part.embeddings.shape[1] for part in encoded}
    if len(lengths) != 1:  # the encoders share one vocabulary: this would be a bug
        raise EngineError(f"the text encoders cut the prompt into different chunks: {lengths}")
    return EncodedChunks(
        embeddings=torch.cat([part.embeddings for part in encoded], dim=-1),
        pooled=encoded[-1].pooled,
    )


def _empty_chunk_embedding(
    pipeline: Any, layer: EncoderLayer, device: torch.device
) -> torch.Tensor:
    encoded = [
        encode_chunks(encoder, [empty_chunk(special_tokens(tokenizer))], layer, device)
        for tokenizer, encoder in _encoders(pipeline)
    ]
    return _joined(encoded).embeddings


def _padded(embeddings: torch.Tensor, chunks: int, empty: torch.Tensor) -> torch.Tensor:
    missing = chunks - embeddings.shape[1] // CHUNK_POSITIONS
    if missing <= 0:
        return embeddings
    return torch.cat([embeddings, empty.repeat(1, missing, 1)], dim=1)


def encode_prompts(
    pipeline: Any,
    family: ModelFamily,
    positive: str,
    negative: str,
    clip_skip: int | None,
    device: torch.device | str,
) -> PromptConditioning:
    """Encode a job's positive and negative prompt for ``pipeline`` (see the module docstring)."""
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
    return PromptConditioning(
        prompt_embeds=cond.embeddings,
        negative_prompt_embeds=uncond.embeddings,
        pooled_prompt_embeds=cond.pooled,
        negative_pooled_prompt_embeds=uncond.pooled,
        chunks=chunks,
    )
