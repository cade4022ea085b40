"""The CLIP tokenizer files rebuilt offline from open_clip's BPE merges."""

from __future__ import annotations

import json
from pathlib import Path

from transformers import CLIPTokenizer

from gaze.engines.local.tokenizer_files import (
    CLIP_VOCAB_SIZE,
    byte_symbols,
    clip_vocabulary,
    write_clip_tokenizer,
)

# Ids the published openai/clip-vit-large-patch14 tokenizer gives.
CAT_IDS = [49406, 320, 1125, 539, 320, 2368, 49407]


def test_byte_symbols_cover_every_byte_once() -> None:
    symbols = byte_symbols()
    assert len(symbols) == 256
    assert len(set(symbols)) == 256
    assert symbols[0] == "!"  # printable bytes first, in byte order
    assert all(not symbol.isspace() for symbol in symbols)


def test_vocabulary_has_clip_layout() -> None:
    vocabulary = clip_vocabulary()
    assert len(vocabulary) == CLIP_VOCAB_SIZE
    assert vocabulary["!"] == 0
    assert vocabulary["a</w>"] == 320
    assert vocabulary["<|startoftext|>"] == 49406
    assert vocabulary["<|endoftext|>"] == 49407


def test_written_tokenizer_encodes_like_clip(tmp_path: Path) -> None:
    folder = write_clip_tokenizer(tmp_path / "tokenizer")
    tokenizer = CLIPTokenizer.from_pretrained(folder, local_files_only=True)
    assert len(tokenizer) == CLIP_VOCAB_SIZE
    assert tokenizer("a photo of a cat").input_ids == CAT_IDS
    assert tokenizer("A  Photo of a CAT").input_ids == CAT_IDS  # lower-cased, spaces collapsed
    padded = tokenizer("a photo", padding="max_length", max_length=6).input_ids
    assert padded == [49406, 320, 1125, 49407, 49407, 49407]


def test_sdxl_second_tokenizer_pads_with_exclamation_mark(tmp_path: Path) -> None:
    folder = write_clip_tokenizer(tmp_path / "tokenizer_2", pad_token="!")
    tokenizer = CLIPTokenizer.from_pretrained(folder, local_files_only=True)
    assert tokenizer.pad_token_id == 0
    padded = tokenizer("a photo", padding="max_length", max_length=6).input_ids
    assert padded == [49406, 320, 1125, 49407, 0, 0]
    config = json.loads((folder / "tokenizer_config.json").read_text())
    assert config["pad_token"] == "!"


def test_missing_vocabulary_is_what_the_size_check_catches(tmp_path: Path) -> None:
    """Without vocab.json transformers builds a near-empty tokenizer instead of failing."""
    folder = write_clip_tokenizer(tmp_path / "tokenizer")
    (folder / "vocab.json").unlink()
    (folder / "merges.txt").unlink()
    tokenizer = CLIPTokenizer.from_pretrained(folder, local_files_only=True)
    assert len(tokenizer) < 10
