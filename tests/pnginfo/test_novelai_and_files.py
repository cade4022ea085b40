"""NovelAI's Comment JSON, GAZE's chunk preferred over its text, and files that are hostile or
carry nothing: truncated, a zip, non-UTF-8 text, a huge text chunk."""

from __future__ import annotations

import io
import json
import zipfile
import zlib

import pytest
from PIL import Image

from gaze.generation_spec import GenerationSpec, LoraSpec
from gaze.media.png_metadata import png_info
from gaze.media.uploads import UploadRejected
from gaze.pnginfo.containers import MAX_TEXT_BYTES
from gaze.pnginfo.read import read_generation_info
from gaze.pnginfo.result import NoGenerationMetadata
from tests.pnginfo.images import png_with_raw_chunk, png_with_texts

NOVELAI_COMMENT = {
    "prompt": "1girl, {{silver hair}}, masterpiece",
    "steps": 28,
    "height": 1216,
    "width": 832,
    "scale": 5.0,
    "uncond_scale": 1.0,
    "cfg_rescale": 0.0,
    "seed": 2315847153,
    "n_samples": 1,
    "noise_schedule": "karras",
    "sampler": "k_euler_ancestral",
    "sm": False,
    "sm_dyn": False,
    "strength": 0.7,
    "noise": 0.0,
    "uc": "lowres, bad anatomy",
    "request_type": "PromptGenerateRequest",
}


def test_novelai_comment() -> None:
    data = png_with_texts(
        {
            "Title": "NovelAI generated image",
            "Description": NOVELAI_COMMENT["prompt"],
            "Software": "NovelAI",
            "Source": "NovelAI Diffusion V3 C1E7DB6E",
            "Comment": json.dumps(NOVELAI_COMMENT),
        }
    )
    info = read_generation_info(data)
    assert info.source == "novelai"
    assert (info.positive, info.negative) == (NOVELAI_COMMENT["prompt"], "lowres, bad anatomy")
    assert (info.seed, info.steps, info.cfg) == (2315847153, 28, 5.0)
    assert (info.sampler, info.scheduler) == ("euler_ancestral", "karras")
    assert (info.width, info.height) == (832, 1216)
    assert info.checkpoint == "NovelAI Diffusion V3 C1E7DB6E"
    assert any("only on NovelAI" in warning for warning in info.warnings)


def test_novelai_with_a_broken_comment_still_gives_the_prompt() -> None:
    data = png_with_texts({"Software": "NovelAI", "Description": "a cat", "Comment": "{"})
    info = read_generation_info(data)
    assert info.positive == "a cat" and info.steps is None and info.warnings


def gaze_png(spec: GenerationSpec) -> bytes:
    buffer = io.BytesIO()
    extra = {"preset": {"id": "p", "slug": "p"}, "job_id": "j", "resolution": {}}
    Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=png_info(spec, extra))
    return buffer.getvalue()


def test_gaze_chunk_is_preferred_over_the_a1111_text() -> None:
    spec = GenerationSpec(
        positive="a <b> c",
        negative="n",
        checkpoint="dir/model.safetensors",
        seed=12,
        loras=(LoraSpec("x/y.safetensors", 0.5, 0.25),),
    )
    info = read_generation_info(gaze_png(spec))
    assert info.source == "gaze"
    assert info.checkpoint == "dir/model.safetensors"  # the path; the text has only the stem
    assert [(lora.name, lora.strength, lora.clip_strength) for lora in info.loras] == [
        ("x/y.safetensors", 0.5, 0.25)
    ]
    assert info.gaze is not None and info.gaze["spec"] == spec.to_dict()
    assert info.other["preset"] == "p"


def test_a_png_without_text_names_what_was_looked_for() -> None:
    with pytest.raises(NoGenerationMetadata) as raised:
        read_generation_info(png_with_texts({"Title": "holiday"}))
    assert raised.value.status == 422
    assert "'parameters'" in raised.value.message and "'prompt'" in raised.value.message


def test_a_jpeg_without_exif_has_no_metadata() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="JPEG")
    with pytest.raises(NoGenerationMetadata, match="JPEG image"):
        read_generation_info(buffer.getvalue())


def test_a_truncated_png_gives_the_chunks_before_the_cut() -> None:
    data = png_with_texts({"parameters": "cat\nSteps: 3, Sampler: Euler, Seed: 5, Size: 64x64"})
    info = read_generation_info(data[: len(data) - 30])
    assert info.steps == 3
    assert any("truncated" in warning for warning in info.warnings)
    with pytest.raises(NoGenerationMetadata, match="truncated"):
        read_generation_info(data[:40])


def test_a_zip_named_png_is_refused_naming_it() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("image.png", b"not really")
    with pytest.raises(UploadRejected, match="ZIP archive") as raised:
        read_generation_info(buffer.getvalue())
    assert raised.value.code == "unsupported_image_format"
    with pytest.raises(UploadRejected, match="GIF"):
        gif = io.BytesIO()
        Image.new("P", (4, 4)).save(gif, format="GIF")
        read_generation_info(gif.getvalue())
    with pytest.raises(UploadRejected, match="empty"):
        read_generation_info(b"")


def test_non_utf8_international_text_is_replaced_with_a_warning() -> None:
    body = b"parameters\x00\x00\x00\x00\x00caf\xe9 \xff\nSteps: 3, Sampler: Euler, Seed: 5"
    info = read_generation_info(png_with_raw_chunk(b"iTXt", body))
    assert info.positive == "caf\ufffd \ufffd"
    assert any("not valid UTF-8" in warning for warning in info.warnings)


def test_latin1_text_chunks_are_read_as_latin1() -> None:
    body = b"parameters\x00caf\xe9\nSteps: 3, Sampler: Euler, Seed: 5"
    assert read_generation_info(png_with_raw_chunk(b"tEXt", body)).positive == "café"


def test_a_huge_compressed_text_chunk_is_skipped() -> None:
    bomb = zlib.compress(b"a" * (MAX_TEXT_BYTES + 10), 9)
    data = png_with_raw_chunk(b"zTXt", b"parameters\x00\x00" + bomb)
    with pytest.raises(NoGenerationMetadata, match="skipped"):
        read_generation_info(data)


def test_a_damaged_chunk_is_skipped() -> None:
    data = bytearray(png_with_texts({"parameters": "cat\nSteps: 3, Sampler: Euler, Seed: 5"}))
    index = bytes(data).index(b"cat")
    data[index] = ord("d")
    with pytest.raises(NoGenerationMetadata, match="CRC"):
        read_generation_info(bytes(data))


@pytest.mark.parametrize(
    "graph_text",
    ['{"3": {"inputs": {"cfg": NaN}}}', '{"3": 1e999}', '{"3": ' + "9" * 60 + "}", '"\\ud800"'],
)
def test_json_that_could_not_be_answered_as_json_is_skipped(graph_text: str) -> None:
    data = png_with_texts({"prompt": graph_text, "gaze": graph_text})
    with pytest.raises(NoGenerationMetadata, match="not JSON"):
        read_generation_info(data)


def test_a_gaze_chunk_of_wrong_types_is_read_without_them() -> None:
    chunk = {"spec": {"seed": "7", "cfg": [1], "loras": [{"name": "a", "model_weight": "x"}, 5]}}
    info = read_generation_info(png_with_texts({"gaze": json.dumps(chunk)}))
    assert (info.seed, info.cfg) == (None, None)
    assert [(lora.name, lora.strength) for lora in info.loras] == [("a", 1.0)]
