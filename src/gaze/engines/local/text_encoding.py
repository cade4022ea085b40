"""What both prompt weighting rules share: the encoders, their layer, their tokens, the result.

- the hidden layer ``clip_skip`` selects (:func:`encoder_layer`), the same for A1111 and ComfyUI;
- a pipeline's (tokenizer, text encoder) pairs, 77-token chunks through one encoder as a
  batch (:func:`encoder_hidden_states`), a prompt through every encoder
  (:func:`through_every_encoder`);
- :class:`PromptConditioning`, the encoded positive and negative prompt the sampler uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gaze.engines.base import EngineError
from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.prompts.chunking import CHUNK_POSITIONS, SpecialTokens, Tokenize

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


def final_layer_norm(encoder: Any) -> torch.nn.Module:
    """The final layer norm of a (flattened or wrapped) transformers CLIP text model."""
    norm = getattr(encoder, "final_layer_norm", None)
    if norm is None:
        norm = encoder.text_model.final_layer_norm
    return norm


def text_encoders(pipeline: Any) -> list[tuple[Any, Any]]:
    """The pipeline's (tokenizer, text encoder) pairs: one for SD1.x, two for SDXL."""
    pairs = [(pipeline.tokenizer, pipeline.text_encoder)]
    if getattr(pipeline, "text_encoder_2", None) is not None:
        pairs.append((pipeline.tokenizer_2, pipeline.text_encoder_2))
    return pairs


def encoder_hidden_states(
    encoder: Any, rows: Sequence[Sequence[int]], layer: EncoderLayer, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``[rows, 77, width]`` hidden states of ``layer`` for token rows run as one batch, and the
    projected pooled output ``[rows, projection]`` of encoders that have a projection."""
    layers = int(encoder.config.num_hidden_layers)
    if layer.from_end > layers:
        raise EngineError(
            f"clip_skip {layer.from_end} is more than the text encoder's {layers} layers"
        )
    ids = torch.tensor([list(row) for row in rows], dtype=torch.long, device=device)
    output = encoder(input_ids=ids, output_hidden_states=layer.from_end > 1)
    if layer.from_end == 1:
        hidden = output.last_hidden_state  # the final layer norm is already applied
    else:
        hidden = output.hidden_states[-layer.from_end]
        if layer.final_layer_norm:
            hidden = final_layer_norm(encoder)(hidden)
    return hidden, getattr(output, "text_embeds", None)


@dataclass
class EncodedChunks:
    """One prompt through one text encoder (or all of them, channels joined)."""

    embeddings: torch.Tensor
    """``[1, 77 * chunks, width]``."""
    pooled: torch.Tensor | None
    """``[1, projection]`` for the first chunk, from encoders that have a projection."""

    @classmethod
    def from_batch(cls, hidden: torch.Tensor, pooled: torch.Tensor | None) -> EncodedChunks:
        """One encoder's ``[chunks, 77, width]`` batch joined along the sequence, with the
        first chunk's pooled output."""
        return cls(
            embeddings=hidden.reshape(1, -1, hidden.shape[-1]),
            pooled=pooled[:1] if pooled is not None else None,
        )


EncodeWithOne = Callable[[Any, Any], EncodedChunks]
"""``(tokenizer, text encoder) -> a prompt's chunks through that encoder``."""


def through_every_encoder(pipeline: Any, encode: EncodeWithOne) -> EncodedChunks:
    """``encode`` with each text encoder of the pipeline, channels joined."""
    return joined([encode(tokenizer, encoder) for tokenizer, encoder in text_encoders(pipeline)])


def joined(encoded: list[EncodedChunks]) -> EncodedChunks:
    """The encoders' embeddings side by side (channels); the pooled output of the last one."""
    lengths = {part.embeddings.shape[1] for part in encoded}
    if len(lengths) != 1:  # the encoders share one vocabulary: this would be a bug
        raise EngineError(f"the text encoders cut the prompt into different chunks: {lengths}")
    return EncodedChunks(
        embeddings=torch.cat([part.embeddings for part in encoded], dim=-1),
        pooled=encoded[-1].pooled,
    )


def repeated_to(embeddings: torch.Tensor, positions: int) -> torch.Tensor:
    """``embeddings`` repeated along the sequence up to ``positions`` (a multiple of its length).

    Cross-attention over a context repeated whole gives the same result as over the context once.
    """
    if embeddings.shape[1] == positions:
        return embeddings
    return embeddings.repeat(1, positions // embeddings.shape[1], 1)


@dataclass
class PromptConditioning:
    """Both prompts, encoded: what replaces ``prompt`` / ``negative_prompt`` in the pipeline.

    A1111's rule gives both embeddings the same length (the shorter padded with empty-prompt
    chunks); ComfyUI's leaves each its own and the sampler repeats them to a common length.
    """

    prompt_embeds: torch.Tensor
    negative_prompt_embeds: torch.Tensor
    pooled_prompt_embeds: torch.Tensor | None
    negative_pooled_prompt_embeds: torch.Tensor | None
    chunks: int
    """Chunks of the longer prompt (its embedding has ``77 * chunks`` positions)."""

    @classmethod
    def from_encoded(cls, cond: EncodedChunks, uncond: EncodedChunks) -> PromptConditioning:
        return cls(
            prompt_embeds=cond.embeddings,
            negative_prompt_embeds=uncond.embeddings,
            pooled_prompt_embeds=cond.pooled,
            negative_pooled_prompt_embeds=uncond.pooled,
            chunks=chunk_count(cond.embeddings, uncond.embeddings),
        )

    def pipeline_arguments(self) -> dict[str, Any]:
        """Keyword arguments for a diffusers pipeline call (both embeddings of one length)."""
        positions = math.lcm(self.prompt_embeds.shape[1], self.negative_prompt_embeds.shape[1])
        arguments: dict[str, Any] = {
            "prompt_embeds": repeated_to(self.prompt_embeds, positions),
            "negative_prompt_embeds": repeated_to(self.negative_prompt_embeds, positions),
        }
        if self.pooled_prompt_embeds is not None:
            arguments["pooled_prompt_embeds"] = self.pooled_prompt_embeds
            arguments["negative_pooled_prompt_embeds"] = self.negative_pooled_prompt_embeds
        return arguments


def chunk_count(*embeddings: torch.Tensor) -> int:
    """Chunks of the longest of ``embeddings``."""
    return max(embedding.shape[1] for embedding in embeddings) // CHUNK_POSITIONS
