"""ComfyUI's prompt weighting on the real CLIP tokenizer and the tiny SD1 and SDXL text encoders.

A weighted token's embedding must be ``(z - z_empty) * w + z_empty``, with ``z`` its chunk's
embedding unweighted and ``z_empty`` the all-empty chunk's (start, end, the encoder's padding),
both encoded on their own here; weight 1 changes nothing; A1111's rule stays one argument away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from gaze.engines.base import EngineError
from gaze.engines.local.checkpoint_config import ModelFamily
from gaze.engines.local.comfyui_prompt_encoding import (
    comfyui_tokenize_prompt,
    weighted_from_empty,
)
from gaze.engines.local.pipeline_loading import load_pipeline
from gaze.engines.local.prompt_encoding import encode_prompts, encode_prompts_a1111
from gaze.engines.local.text_encoding import (
    EncoderLayer,
    encoder_layer,
    final_layer_norm,
    special_tokens,
    text_encoders,
)
from gaze.prompts.chunking import TokenChunk, empty_chunk
from tests.engines.local.local_engine_constants import SD1_NAME, SDXL_NAME

pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

BOS, EOS = 49406, 49407
WEIGHTED = "a photo of a (red cat:1.3) on (grass), ((sunset)), (blue sky:0.6)"
PLAIN = "a photo of a red cat on grass, sunset, blue sky"
# 74 tokens, then a 2-token weighted segment that no longer fits in the first chunk.
LONG_WEIGHTED = (
    ", ".join(["cat on grass"] * 18) + ", big, (red hat:1.4), " + ", ".join(["dog"] * 20)
)
# Tolerance between chunks encoded as one batch and one by one (float32 CPU matmuls).
BATCH_TOLERANCE = {"rtol": 1e-6, "atol": 1e-6}


@pytest.fixture(scope="module")
def sd1(models_dir: Path, cache_dir: Path) -> Any:
    return load_pipeline(models_dir / "checkpoints" / SD1_NAME, cache_dir, "cpu", torch.float32)


@pytest.fixture(scope="module")
def sdxl(models_dir: Path, cache_dir: Path) -> Any:
    return load_pipeline(models_dir / "checkpoints" / SDXL_NAME, cache_dir, "cpu", torch.float32)


@pytest.fixture(params=["sd1", "sdxl"])
def family_pipeline(request: pytest.FixtureRequest) -> tuple[ModelFamily, Any]:
    return request.param, request.getfixturevalue(request.param).pipeline


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _alone(encoder: Any, tokens: tuple[int, ...], layer: EncoderLayer) -> torch.Tensor:
    """``[77, width]``: one chunk through ``encoder`` on its own, at ``layer``."""
    with torch.inference_mode():
        output = encoder(torch.tensor([tokens]), output_hidden_states=True)
        hidden = output.hidden_states[-layer.from_end]
        if layer.from_end == 1 or layer.final_layer_norm:
            hidden = final_layer_norm(encoder)(hidden)
        return hidden[0]


def _expected(pipeline: Any, prompt: str, layer: EncoderLayer) -> torch.Tensor:
    """The interpolation rule written out token by token, from chunks encoded one by one."""
    per_encoder = []
    for tokenizer, encoder in text_encoders(pipeline):
        empty = _alone(encoder, empty_chunk(special_tokens(tokenizer)).tokens, layer)
        chunks = []
        for chunk in comfyui_tokenize_prompt(tokenizer, prompt):
            z = _alone(encoder, chunk.tokens, layer).clone()
            for position, weight in enumerate(chunk.weights):
                if weight != 1.0:
                    z[position] = (z[position] - empty[position]) * weight + empty[position]
            chunks.append(z)
        per_encoder.append(torch.cat(chunks))
    return torch.cat(per_encoder, dim=-1).unsqueeze(0)


# -- tokens --------------------------------------------------------------------------------------


def test_weights_land_on_the_tokens_of_their_segment(sd1: Any) -> None:
    tokenizer = sd1.pipeline.tokenizer
    (chunk,) = comfyui_tokenize_prompt(tokenizer, "a photo of (a red cat:1.3), ((grass))")
    before, run, comma, grass = (
        _ids(tokenizer, "a photo of "),
        _ids(tokenizer, "a red cat"),
        _ids(tokenizer, ", "),
        _ids(tokenizer, "grass"),
    )
    assert chunk.tokens[: 2 + len(before) + len(run) + len(comma) + len(grass)] == (
        BOS,
        *before,
        *run,
        *comma,
        *grass,
        EOS,
    )
    expected = (
        [1.0] * (1 + len(before))
        + [1.3] * len(run)
        + [1.0] * len(comma)
        + [1.2100000000000002] * len(grass)
    )
    assert list(chunk.weights[: len(expected)]) == expected
    assert set(chunk.weights[len(expected) :]) == {1.0}


def test_square_brackets_and_escapes_are_text_for_the_tokenizer(sd1: Any) -> None:
    tokenizer = sd1.pipeline.tokenizer
    (chunk,) = comfyui_tokenize_prompt(tokenizer, r"[cat], yuuki \(series\)")
    literal = _ids(tokenizer, "[cat], yuuki (series)")
    assert chunk.tokens[1 : 2 + len(literal)] == (*literal, EOS)
    assert set(chunk.weights) == {1.0}
    assert _ids(tokenizer, "[")[0] in literal


def test_sdxl_tokenizers_pad_with_their_own_token(sdxl: Any) -> None:
    pipeline = sdxl.pipeline
    first = comfyui_tokenize_prompt(pipeline.tokenizer, WEIGHTED)
    second = comfyui_tokenize_prompt(pipeline.tokenizer_2, WEIGHTED)
    assert [chunk.prompt_tokens for chunk in first] == [chunk.prompt_tokens for chunk in second]
    used = first[0].prompt_tokens + 2
    assert set(first[0].tokens[used:]) == {EOS}
    assert set(second[0].tokens[used:]) == {0}


def test_long_prompts_keep_short_segments_whole(sd1: Any) -> None:
    tokenizer = sd1.pipeline.tokenizer
    chunks = comfyui_tokenize_prompt(tokenizer, LONG_WEIGHTED)
    hat = _ids(tokenizer, "red hat")
    assert [chunk.prompt_tokens for chunk in chunks] == [74, 42]
    assert chunks[0].tokens[75:] == (EOS, EOS)
    assert chunks[1].tokens[1:3] == tuple(hat)
    assert chunks[1].weights[1:3] == (1.4, 1.4)


# -- embeddings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("clip_skip", [None, 2])
@pytest.mark.parametrize("prompt", [WEIGHTED, LONG_WEIGHTED])
def test_weighted_tokens_are_interpolated_from_the_empty_chunk(
    family_pipeline: tuple[ModelFamily, Any], prompt: str, clip_skip: int | None
) -> None:
    family, pipeline = family_pipeline
    layer = encoder_layer(clip_skip, family)
    ours = encode_prompts(pipeline, family, prompt, "blurry", clip_skip, "cpu")
    expected = _expected(pipeline, prompt, layer)
    assert ours.prompt_embeds.shape == expected.shape
    torch.testing.assert_close(ours.prompt_embeds, expected, **BATCH_TOLERANCE)
    # The weighted positions moved: the rule did something.
    unweighted = encode_prompts(pipeline, family, PLAIN, "blurry", clip_skip, "cpu")
    if prompt == WEIGHTED:
        assert not torch.allclose(ours.prompt_embeds, unweighted.prompt_embeds, atol=1e-3)


def test_weight_one_prompts_equal_the_unweighted_encoding(
    family_pipeline: tuple[ModelFamily, Any],
) -> None:
    family, pipeline = family_pipeline
    plain = encode_prompts(pipeline, family, "a cat, grass", "blurry", None, "cpu")
    for prompt in ("a (cat:1.0), grass", "a (cat:1), (grass:1.00)", "((a cat:1)), grass"):
        same = encode_prompts(pipeline, family, prompt, "(blurry:1)", None, "cpu")
        assert torch.equal(same.prompt_embeds, plain.prompt_embeds), prompt
        assert torch.equal(same.negative_prompt_embeds, plain.negative_prompt_embeds), prompt
        if family == "sdxl":
            assert torch.equal(same.pooled_prompt_embeds, plain.pooled_prompt_embeds)


def test_unweighted_short_prompts_are_the_same_under_both_rules(
    family_pipeline: tuple[ModelFamily, Any],
) -> None:
    family, pipeline = family_pipeline
    comfyui = encode_prompts(pipeline, family, PLAIN, "blurry", None, "cpu")
    a1111 = encode_prompts(pipeline, family, PLAIN, "blurry", None, "cpu", weighting="a1111")
    assert torch.equal(comfyui.prompt_embeds, a1111.prompt_embeds)
    assert torch.equal(comfyui.negative_prompt_embeds, a1111.negative_prompt_embeds)


def test_the_a1111_rule_is_one_argument_away(family_pipeline: tuple[ModelFamily, Any]) -> None:
    family, pipeline = family_pipeline
    a1111 = encode_prompts(pipeline, family, WEIGHTED, "blurry", None, "cpu", weighting="a1111")
    direct = encode_prompts_a1111(pipeline, family, WEIGHTED, "blurry", None, "cpu")
    comfyui = encode_prompts(pipeline, family, WEIGHTED, "blurry", None, "cpu")
    assert torch.equal(a1111.prompt_embeds, direct.prompt_embeds)
    assert not torch.allclose(a1111.prompt_embeds, comfyui.prompt_embeds, atol=1e-3)
    with pytest.raises(EngineError, match="prompt weighting"):
        encode_prompts(pipeline, family, WEIGHTED, "", None, "cpu", weighting="compel")


def test_sdxl_pooled_embedding_is_the_first_chunks_unweighted(sdxl: Any) -> None:
    pipeline = sdxl.pipeline
    conditioning = encode_prompts(pipeline, "sdxl", LONG_WEIGHTED, "blurry", None, "cpu")
    first = comfyui_tokenize_prompt(pipeline.tokenizer_2, LONG_WEIGHTED)[0]
    with torch.inference_mode():
        pooled = pipeline.text_encoder_2(torch.tensor([first.tokens])).text_embeds
    torch.testing.assert_close(conditioning.pooled_prompt_embeds, pooled, **BATCH_TOLERANCE)


def test_prompts_keep_their_lengths_and_an_empty_sdxl_negative_is_encoded(sdxl: Any) -> None:
    pipeline = sdxl.pipeline
    conditioning = encode_prompts(pipeline, "sdxl", LONG_WEIGHTED, "", None, "cpu")
    assert conditioning.chunks == 2
    assert conditioning.prompt_embeds.shape[1] == 2 * 77
    assert conditioning.negative_prompt_embeds.shape[1] == 77
    layer = encoder_layer(None, "sdxl")
    empty = torch.cat(
        [
            _alone(encoder, empty_chunk(special_tokens(tokenizer)).tokens, layer)
            for tokenizer, encoder in text_encoders(pipeline)
        ],
        dim=-1,
    )
    torch.testing.assert_close(conditioning.negative_prompt_embeds[0], empty)
    assert torch.count_nonzero(conditioning.negative_pooled_prompt_embeds) > 0
    arguments = conditioning.pipeline_arguments()
    negative = arguments["negative_prompt_embeds"]
    assert negative.shape == arguments["prompt_embeds"].shape == (1, 2 * 77, 48)
    assert torch.equal(negative[:, 77:], negative[:, :77])  # repeated, not padded
    a1111 = encode_prompts_a1111(pipeline, "sdxl", LONG_WEIGHTED, "", None, "cpu")
    assert torch.count_nonzero(a1111.negative_prompt_embeds[:, :77]) == 0


# -- the rule itself -----------------------------------------------------------------------------


def test_weighted_from_empty_moves_only_weighted_tokens() -> None:
    generator = torch.Generator().manual_seed(3)
    hidden = torch.randn(2, 77, 8, generator=generator)
    empty = torch.randn(77, 8, generator=generator)
    chunks = [
        TokenChunk(tokens=(0,) * 77, weights=weights, prompt_tokens=3)
        for weights in ((1.0,) * 77, (1.0, 1.3, 0.5, -1.0) + (1.0,) * 73)
    ]
    result = weighted_from_empty(hidden, empty, chunks)
    assert torch.equal(result[0], hidden[0])
    assert torch.equal(result[1, 4:], hidden[1, 4:])
    assert torch.equal(result[1, 0], hidden[1, 0])
    for position, weight in ((1, 1.3), (2, 0.5), (3, -1.0)):
        expected = (hidden[1, position] - empty[position]) * weight + empty[position]
        assert torch.equal(result[1, position], expected)
