"""Reading a LoRA's safetensors header: kohya and modelspec metadata, and bad files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from devkit.tiny_lora import LORA_ALPHA, LORA_RANK, kohya_training_metadata, write_tiny_lora
from gaze.library.lora_metadata import (
    MAX_HEADER_BYTES,
    TRIGGER_WORD_COUNT,
    lora_metadata,
    read_header_metadata,
)


def _write_header(path: Path, header: bytes, declared_length: int | None = None) -> Path:
    length = len(header) if declared_length is None else declared_length
    path.write_bytes(struct.pack("<Q", length) + header)
    return path


def _write_metadata(path: Path, metadata: dict[str, str]) -> Path:
    return _write_header(path, json.dumps({"__metadata__": metadata}).encode())


@pytest.mark.parametrize(
    ("kind", "base_model", "family", "resolution"),
    [("sd1", "sd_v1", "sd1", "512x512"), ("sdxl", "sdxl_base_v1-0", "sdxl", "1024x1024")],
)
def test_a_kohya_lora_says_its_base_model_rank_and_trigger_words(
    tmp_path: Path, kind: str, base_model: str, family: str, resolution: str
) -> None:
    path = write_tiny_lora(
        tmp_path / f"{kind}.safetensors",
        kind,  # type: ignore[arg-type]
        metadata=kohya_training_metadata(kind),  # type: ignore[arg-type]
    )

    metadata = lora_metadata(path)

    assert metadata is not None
    assert metadata.base_model == base_model
    assert metadata.family == family
    assert metadata.base_checkpoint == f"tiny-{kind}.safetensors"
    assert metadata.rank == LORA_RANK
    assert metadata.alpha == LORA_ALPHA
    assert metadata.trigger_words == ["gazestyle", "1girl", "watercolor"]
    assert metadata.resolution == resolution
    assert metadata.title == f"tiny-{kind}-lora"
    assert metadata.preview is None


def test_trigger_words_merge_datasets_and_keep_the_most_frequent(tmp_path: Path) -> None:
    frequency = {
        "1_first": {"shared": 5, "only_first": 7, **{f"rare{i}": 1 for i in range(20)}},
        "2_second": {"shared": 5, "only_second": 2},
    }
    path = _write_metadata(
        tmp_path / "tags.safetensors", {"ss_tag_frequency": json.dumps(frequency)}
    )

    metadata = lora_metadata(path)

    assert metadata is not None
    assert metadata.trigger_words[:3] == ["shared", "only_first", "only_second"]
    assert len(metadata.trigger_words) == TRIGGER_WORD_COUNT


def test_modelspec_metadata_gives_title_author_trigger_phrase_and_preview(tmp_path: Path) -> None:
    thumbnail = "data:image/png;base64,iVBORw0KGgo="
    path = _write_metadata(
        tmp_path / "spec.safetensors",
        {
            "modelspec.architecture": "stable-diffusion-xl-v1-base/lora",
            "modelspec.title": "Ink Wash",
            "modelspec.author": "Someone",
            "modelspec.description": "Ink wash painting style.",
            "modelspec.resolution": "1024x1024",
            "modelspec.trigger_phrase": "inkwash style",
            "modelspec.thumbnail": thumbnail,
        },
    )

    metadata = lora_metadata(path)

    assert metadata is not None
    assert metadata.base_model == "stable-diffusion-xl-v1-base/lora"
    assert metadata.family == "sdxl"
    assert (metadata.title, metadata.author) == ("Ink Wash", "Someone")
    assert metadata.description == "Ink wash painting style."
    assert metadata.trigger_words == ["inkwash style"]
    assert metadata.resolution == "1024x1024"
    assert metadata.preview == thumbnail
    assert metadata.rank is None


def test_an_unknown_base_model_has_no_family(tmp_path: Path) -> None:
    path = _write_metadata(tmp_path / "odd.safetensors", {"ss_base_model_version": "mystery_v9"})

    metadata = lora_metadata(path)

    assert metadata is not None
    assert (metadata.base_model, metadata.family) == ("mystery_v9", None)


def test_a_lora_without_metadata_has_none(tmp_path: Path) -> None:
    plain = write_tiny_lora(tmp_path / "plain.safetensors", "sd1")
    bare = _write_header(tmp_path / "bare.safetensors", b'{"w": {"dtype": "F16", "shape": []}}')

    assert read_header_metadata(plain) == {"format": "pt"}
    assert lora_metadata(bare) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x01\x02",
        b"this is not a safetensors file at all",
        struct.pack("<Q", 20) + b"{not json at all!!!}",
        struct.pack("<Q", 4) + b"\xff\xfe\xfd\xfc",
        struct.pack("<Q", 2) + b"[]",
        struct.pack("<Q", 500) + b"{}",
    ],
    ids=["empty", "short", "text", "bad-json", "bad-utf8", "not-an-object", "truncated"],
)
def test_a_file_that_is_not_safetensors_has_no_metadata(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(content)

    assert read_header_metadata(path) is None
    assert lora_metadata(path) is None


def test_a_huge_header_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = _write_header(
        tmp_path / "huge.safetensors",
        json.dumps({"__metadata__": {"ss_network_dim": "8"}}).encode(),
        declared_length=MAX_HEADER_BYTES + 1,
    )

    assert lora_metadata(path) is None


def test_a_missing_file_has_no_metadata(tmp_path: Path) -> None:
    assert lora_metadata(tmp_path / "gone.safetensors") is None
