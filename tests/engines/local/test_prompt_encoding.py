"""A1111-style prompt encoding on the real CLIP tokenizer and the tiny text encoders.

Chunks of 77 with weights per token, embeddings equal to diffusers' own for what diffusers can
express (short, unweighted prompts, clip skip), and beyond it: long prompts, emphasis, padding the
negative prompt, SDXL's pooled embedding and its zeroed empty negative.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from gaze.engines.base import CancelToken, EngineError
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.pipeline_loading import load_pipeline
from gaze.engines.local.prompt_encoding import (
    EncoderLayer,
    apply_emphasis,
    encode_prompts,
    encoder_layer,
    final_layer_norm,
    special_tokens,
    tokenize_prompt,
)
from gaze.generation_spec import GenerationSpec
from gaze.prompts.chunking import empty_chunk
from tests.engines.local.local_engine_constants import SD1_NAME, SDXL_NAME

pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

BOS, EOS = 49406, 49407
CAT = 2368  # "cat</w>"
SHORT = "a photo of a cat"
LONG = ", ".join(["cat on grass"] * 50)  # 199 tokens: 3 chunks
SPEC = GenerationSpec(
    positive=SHORT, negative="blurry", checkpoint=SD1_NAME, width=64, height=64, steps=2, seed=7
)


@pytest.fixture(scope="module")
def sd1(models_dir: Path, cache_dir: Path) -> Any:
    return load_pipeline(models_dir / "checkpoints" / SD1_NAME, cache_dir, "cpu", torch.float32)


@pytest.fixture(scope="module")
def sdxl(models_dir: Path, cache_dir: Path) -> Any:
    return load_pipeline(models_dir / "checkpoints" / SDXL_NAME, cache_dir, "cpu", torch.float32)


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


# -- tokens --------------------------------------------------------------------------------------


def test_a_200_token_prompt_gives_three_chunks_of_77(sd1: Any) -> None:
    tokenizer = sd1.pipeline.tokenizer
    chunks = tokenize_prompt(tokenizer, " ".join(["cat"] * 200))
    assert [len(chunk.tokens) for chunk in chunks] == [77, 77, 77]
    assert [chunk.prompt_tokens for chunk in chunks] == [75, 75, 50]
    for chunk in chunks:
        assert chunk.tokens[0] == BOS
        assert chunk.tokens[1 : 1 + chunk.prompt_tokens] == (CAT,) * chunk.prompt_tokens
        assert chunk.tokens[1 + chunk.prompt_tokens :] == (EOS,) * (76 - chunk.prompt_tokens)


def test_sdxl_second_tokenizer_pads_with_its_own_pad_token(sdxl: Any) -> None:
    (chunk,) = tokenize_prompt(sdxl.pipeline.tokenizer_2, SHORT)
    assert chunk.tokens == (BOS, *_ids(sdxl.pipeline.tokenizer_2, SHORT), EOS, *([0] * 70))
    assert special_tokens(sdxl.pipeline.tokenizer_2).pad == 0
    assert special_tokens(sdxl.pipeline.tokenizer).pad == EOS


def test_a_weight_lands_on_exactly_the_tokens_of_its_run(sd1: Any) -> None:
    tokenizer = sd1.pipeline.tokenizer
    (chunk,) = tokenize_prompt(tokenizer, "a photo of (a red cat:1.3), [grass]")
    before, run, after = _ids(tokenizer, "a photo of "), _ids(tokenizer, "a red cat"), [267]
    grass = _ids(tokenizer, "grass")
    assert chunk.tokens[: 2 + len(before) + len(run) + 2] == (
        BOS,
        *before,
        *run,
        *after,
        *grass,
        EOS,
    )
    expected = [1.0] * (1 + len(before)) + [1.3] * len(run) + [1.0] + [1 / 1.1] * len(grass)
    assert list(chunk.weights[: len(expected)]) == expected
    assert set(chunk.weights[len(expected) :]) == {1.0}


def test_escaped_parentheses_are_literal_text(sd1: Any) -> None:
    tokenizer = sd1.pipeline.tokenizer
    (chunk,) = tokenize_prompt(tokenizer, r"yuuki \(series\), (smile)")
    literal = _ids(tokenizer, "yuuki (series), ")
    assert chunk.tokens[1 : 1 + len(literal)] == tuple(literal)
    assert set(chunk.weights[: 1 + len(literal)]) == {1.0}
    assert chunk.weights[1 + len(literal)] == 1.1  # "smile"


# -- embeddings ----------------------------------------------------------------------------------


def test_encoder_layer_follows_a1111_clip_skip() -> None:
    assert encoder_layer(None, "sd1") == EncoderLayer(1, True)
    assert encoder_layer(1, "sd1") == EncoderLayer(1, True)
    assert encoder_layer(2, "sd1") == EncoderLayer(2, True)
    for clip_skip in (None, 1, 2):
        assert encoder_layer(clip_skip, "sdxl") == EncoderLayer(2, False)
    assert encoder_layer(3, "sdxl") == EncoderLayer(3, False)
    with pytest.raises(EngineError, match="clip_skip"):
        encoder_layer(0, "sd1")


@contextlib.contextmanager
def _final_norm_where_diffusers_looks(encoder: Any) -> Iterator[None]:
    """diffusers' SD1.x clip skip reads ``text_encoder.text_model.final_layer_norm``, which
    transformers >= 5.6 moved onto the (flattened) model; point the old path at it meanwhile."""
    alias = SimpleNamespace(final_layer_norm=final_layer_norm(encoder))
    object.__setattr__(encoder, "text_model", alias)
    try:
        yield
    finally:
        object.__delattr__(encoder, "text_model")


@pytest.mark.parametrize("clip_skip", [None, 1, 2])
def test_short_prompts_encode_exactly_as_diffusers_sd1(sd1: Any, clip_skip: int | None) -> None:
    pipeline = sd1.pipeline
    ours = encode_prompts(pipeline, "sd1", SHORT, "blurry", clip_skip, "cpu")
    diffusers_skip = clip_skip - 1 if clip_skip and clip_skip > 1 else None
    with torch.inference_mode(), _final_norm_where_diffusers_looks(pipeline.text_encoder):
        positive, negative = pipeline.encode_prompt(
            SHORT, "cpu", 1, True, "blurry", clip_skip=diffusers_skip
        )
    assert ours.chunks == 1
    assert torch.equal(ours.prompt_embeds, positive)
    if diffusers_skip is None:
        assert torch.equal(ours.negative_prompt_embeds, negative)
    else:  # diffusers skips layers for the positive prompt only; A1111 / ComfyUI for both
        with torch.inference_mode(), _final_norm_where_diffusers_looks(pipeline.text_encoder):
            negative_as_positive = pipeline.encode_prompt(
                "blurry", "cpu", 1, False, clip_skip=diffusers_skip
            )[0]
        assert torch.equal(ours.negative_prompt_embeds, negative_as_positive)
        assert not torch.equal(ours.negative_prompt_embeds, negative)


@pytest.mark.parametrize("clip_skip", [None, 2, 3])
def test_short_prompts_encode_exactly_as_diffusers_sdxl(sdxl: Any, clip_skip: int | None) -> None:
    pipeline = sdxl.pipeline
    ours = encode_prompts(pipeline, "sdxl", SHORT, "blurry", clip_skip, "cpu")
    diffusers_skip = clip_skip - 2 if clip_skip and clip_skip > 2 else None
    with torch.inference_mode():
        positive, negative, pooled, negative_pooled = pipeline.encode_prompt(
            SHORT, negative_prompt="blurry", device="cpu", clip_skip=diffusers_skip
        )
    assert torch.equal(ours.prompt_embeds, positive)
    assert torch.equal(ours.pooled_prompt_embeds, pooled)
    assert torch.equal(ours.negative_pooled_prompt_embeds, negative_pooled)
    if diffusers_skip is None:
        assert torch.equal(ours.negative_prompt_embeds, negative)
    else:  # diffusers skips layers for the positive prompt only; A1111 / ComfyUI for both
        with torch.inference_mode():
            negative_as_positive = pipeline.encode_prompt(
                "blurry", device="cpu", do_classifier_free_guidance=False, clip_skip=diffusers_skip
            )[0]
        assert torch.equal(ours.negative_prompt_embeds, negative_as_positive)
        assert not torch.equal(ours.negative_prompt_embeds, negative)


def test_clip_skip_reads_the_penultimate_layer_with_the_final_norm(sd1: Any) -> None:
    pipeline = sd1.pipeline
    skip_one = encode_prompts(pipeline, "sd1", SHORT, "", 1, "cpu").prompt_embeds
    skip_two = encode_prompts(pipeline, "sd1", SHORT, "", 2, "cpu").prompt_embeds
    (chunk,) = tokenize_prompt(pipeline.tokenizer, SHORT)
    with torch.inference_mode():
        output = pipeline.text_encoder(torch.tensor([chunk.tokens]), output_hidden_states=True)
        expected = final_layer_norm(pipeline.text_encoder)(output.hidden_states[-2])
    assert torch.equal(skip_two, expected)
    assert not torch.allclose(skip_one, skip_two)


def _encode_ids(encoder: Any, ids: tuple[int, ...], from_end: int, norm: bool) -> torch.Tensor:
    with torch.inference_mode():
        output = encoder(torch.tensor([ids]), output_hidden_states=True)
        hidden = output.hidden_states[-from_end]
        return final_layer_norm(encoder)(hidden) if norm else hidden


def test_long_prompts_are_encoded_chunk_by_chunk_and_joined(sd1: Any) -> None:
    pipeline = sd1.pipeline
    conditioning = encode_prompts(pipeline, "sd1", LONG, "blurry", None, "cpu", weighting="a1111")
    chunks = tokenize_prompt(pipeline.tokenizer, LONG)
    assert len(chunks) == conditioning.chunks == 3
    assert conditioning.prompt_embeds.shape == (1, 3 * 77, 32)
    for index, chunk in enumerate(chunks):
        alone = _encode_ids(pipeline.text_encoder, chunk.tokens, 1, True)
        part = conditioning.prompt_embeds[:, index * 77 : (index + 1) * 77]
        torch.testing.assert_close(part, alone, rtol=1e-5, atol=1e-5)


def test_the_shorter_prompt_is_padded_with_empty_prompt_chunks(sd1: Any) -> None:
    pipeline = sd1.pipeline
    empty = _encode_ids(
        pipeline.text_encoder, empty_chunk(special_tokens(pipeline.tokenizer)).tokens, 1, True
    )
    long_positive = encode_prompts(pipeline, "sd1", LONG, "blurry", None, "cpu", weighting="a1111")
    short_alone = encode_prompts(
        pipeline, "sd1", "blurry", "", None, "cpu", weighting="a1111"
    ).prompt_embeds
    negative = long_positive.negative_prompt_embeds
    assert negative.shape == long_positive.prompt_embeds.shape
    torch.testing.assert_close(negative[:, :77], short_alone)
    for index in (1, 2):
        torch.testing.assert_close(negative[:, index * 77 : (index + 1) * 77], empty)
    long_negative = encode_prompts(pipeline, "sd1", "blurry", LONG, None, "cpu", weighting="a1111")
    assert long_negative.chunks == 3
    torch.testing.assert_close(long_negative.prompt_embeds[:, 77:154], empty)


def test_emphasis_scales_tokens_and_restores_the_chunk_mean(sd1: Any) -> None:
    pipeline = sd1.pipeline
    plain = encode_prompts(
        pipeline, "sd1", "a cat on grass", "", None, "cpu", weighting="a1111"
    ).prompt_embeds
    weighted = encode_prompts(
        pipeline, "sd1", "a (cat:1.5) on grass", "", None, "cpu", weighting="a1111"
    )
    (chunk,) = tokenize_prompt(pipeline.tokenizer, "a (cat:1.5) on grass")
    weights = torch.tensor(chunk.weights)
    assert weights[2] == 1.5 and torch.all(weights[torch.arange(77) != 2] == 1.0)
    scaled = plain * weights[None, :, None]
    expected = scaled * (plain.mean() / scaled.mean())
    torch.testing.assert_close(weighted.prompt_embeds, expected, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(weighted.prompt_embeds.mean(), plain.mean())
    # The weighted token stands out from its unweighted self; the others only follow the mean.
    ratio = weighted.prompt_embeds[0, 2] / plain[0, 2]
    others = weighted.prompt_embeds[0, 3] / plain[0, 3]
    torch.testing.assert_close(ratio / others, torch.full_like(ratio, 1.5))


def test_apply_emphasis_leaves_unit_weights_alone() -> None:
    values = torch.randn(2, 77, 8)
    assert apply_emphasis(values, torch.ones(2, 77)) is values
    weights = torch.ones(2, 77)
    weights[1, 5] = 2.0
    weighted = apply_emphasis(values, weights)
    assert torch.equal(weighted[0], values[0] * (values[0].mean() / values[0].mean()))
    torch.testing.assert_close(weighted[1].mean(), values[1].mean())


def test_sdxl_pooled_embedding_comes_from_the_first_chunk(sdxl: Any) -> None:
    pipeline = sdxl.pipeline
    conditioning = encode_prompts(pipeline, "sdxl", LONG, "blurry", None, "cpu", weighting="a1111")
    first = tokenize_prompt(pipeline.tokenizer_2, LONG)[0]
    with torch.inference_mode():
        pooled = pipeline.text_encoder_2(torch.tensor([first.tokens])).text_embeds
    assert conditioning.prompt_embeds.shape == (1, 3 * 77, 16 + 32)
    torch.testing.assert_close(conditioning.pooled_prompt_embeds, pooled)
    # Both encoders' chunks, side by side.
    for encoder, tokenizer, channels in (
        (pipeline.text_encoder, pipeline.tokenizer, slice(0, 16)),
        (pipeline.text_encoder_2, pipeline.tokenizer_2, slice(16, 48)),
    ):
        last = tokenize_prompt(tokenizer, LONG)[2]
        expected = _encode_ids(encoder, last.tokens, 2, False)
        torch.testing.assert_close(conditioning.prompt_embeds[:, 154:, channels], expected)


def test_sdxl_empty_negative_is_zero_then_padded(sdxl: Any) -> None:
    pipeline = sdxl.pipeline
    short = encode_prompts(pipeline, "sdxl", SHORT, "", None, "cpu", weighting="a1111")
    assert torch.count_nonzero(short.negative_prompt_embeds) == 0
    assert torch.count_nonzero(short.negative_pooled_prompt_embeds) == 0
    assert short.negative_prompt_embeds.shape == short.prompt_embeds.shape
    long = encode_prompts(pipeline, "sdxl", LONG, "  ", None, "cpu", weighting="a1111")
    assert torch.count_nonzero(long.negative_prompt_embeds[:, :77]) == 0
    assert torch.count_nonzero(long.negative_prompt_embeds[:, 77:]) > 0  # empty-prompt chunks
    sd1_like = encode_prompts(pipeline, "sdxl", SHORT, "blurry", None, "cpu", weighting="a1111")
    assert torch.count_nonzero(sd1_like.negative_prompt_embeds) > 0


# -- through the engine --------------------------------------------------------------------------


def _pixels(engine: LocalEngine, spec: GenerationSpec) -> bytes:
    return engine.generate(spec, lambda _: None, CancelToken()).image.tobytes()


def test_both_weightings_agree_on_unweighted_prompts_and_differ_on_weighted_ones(
    engine: LocalEngine,
) -> None:
    for checkpoint in (SD1_NAME, SDXL_NAME):
        spec = dataclasses.replace(SPEC, checkpoint=checkpoint)
        plain = dataclasses.replace(spec, positive="a cat, grass")
        assert _pixels(engine, plain) == _pixels(
            engine, dataclasses.replace(plain, prompt_weighting="a1111")
        ), checkpoint
        weighted = dataclasses.replace(spec, positive="a (cat:1.4), grass")
        assert _pixels(engine, weighted) != _pixels(
            engine, dataclasses.replace(weighted, prompt_weighting="a1111")
        ), checkpoint


@pytest.mark.parametrize("checkpoint", [SD1_NAME, SDXL_NAME])
def test_tokens_beyond_77_and_weights_change_the_image(
    engine: LocalEngine, checkpoint: str
) -> None:
    spec = dataclasses.replace(SPEC, checkpoint=checkpoint)
    head = " ".join(["cat"] * 90)  # diffusers alone would cut everything after token 75
    red = _pixels(engine, dataclasses.replace(spec, positive=f"{head}, red"))
    blue = _pixels(engine, dataclasses.replace(spec, positive=f"{head}, blue"))
    assert red != blue
    plain = _pixels(engine, dataclasses.replace(spec, positive="a cat, grass"))
    assert _pixels(engine, dataclasses.replace(spec, positive="a (cat:1.0), grass")) == plain
    assert _pixels(engine, dataclasses.replace(spec, positive="a (cat:1.4), grass")) != plain
    result = engine.generate(
        dataclasses.replace(spec, positive=head), lambda _: None, CancelToken()
    )
    assert result.info["prompt_chunks"] == 2
