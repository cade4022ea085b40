"""CLIP tokenizer files built offline from the BPE merges list that open_clip ships.

Stable Diffusion checkpoints carry no tokenizer, and the usual source (the Hugging Face hub) is not
reachable. Both CLIP-L (SD1.x, SDXL's first encoder) and OpenCLIP bigG (SDXL's second encoder) use
the same byte-level BPE vocabulary of 49408 entries, which is fully determined by the merges file
``bpe_simple_vocab_16e6.txt.gz``. This module rebuilds ``vocab.json`` and ``merges.txt`` from it,
the way the original CLIP code defines the vocabulary:

1. the 256 byte symbols (every byte mapped to a printable unicode character),
2. the same 256 symbols with the end-of-word marker ``</w>``,
3. one entry per merge, in merge order,
4. ``<|startoftext|>`` and ``<|endoftext|>``.

The open_clip package is only a data source here: it is located without being imported (importing
it pulls in torchvision).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from functools import cache
from pathlib import Path

CLIP_VOCAB_SIZE = 49408
START_OF_TEXT = "<|startoftext|>"
END_OF_TEXT = "<|endoftext|>"
END_OF_WORD = "</w>"
MODEL_MAX_LENGTH = 77

_MERGES_FILE_NAME = "bpe_simple_vocab_16e6.txt.gz"
# The file holds more merges than CLIP uses; CLIP keeps the first 49152 - 256 - 2 of them.
_MERGE_COUNT = 49152 - 256 - 2


class TokenizerSourceMissing(RuntimeError):
    """The BPE merges file (shipped by the open_clip_torch package) cannot be found."""


def bpe_merges_path() -> Path:
    """Where the installed open_clip_torch package keeps its BPE merges file (not importing it)."""
    spec = importlib.util.find_spec("open_clip")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / _MERGES_FILE_NAME
        if candidate.is_file():
            return candidate
    raise TokenizerSourceMissing(
        f"{_MERGES_FILE_NAME} not found: install open_clip_torch (it ships the CLIP BPE merges)"
    )


def byte_symbols() -> list[str]:
    """The printable character standing for each byte value, in CLIP's vocabulary order.

    Bytes that are already printable (``!``..``~``, ``¡``..``¬``, ``®``..``ÿ``) stand for themselves
    and come first; the remaining bytes are given code points from 256 upwards, in byte order.
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    printable_set = set(printable)
    others = [value for value in range(256) if value not in printable_set]
    order = printable + others
    code_points = printable + [256 + index for index in range(len(others))]
    symbol_of_byte = dict(zip(order, code_points, strict=True))
    return [chr(symbol_of_byte[value]) for value in order]


@cache
def clip_merges() -> tuple[tuple[str, str], ...]:
    """CLIP's BPE merges, in priority order."""
    text = gzip.decompress(bpe_merges_path().read_bytes()).decode("utf-8")
    lines = text.split("\n")[1 : _MERGE_COUNT + 1]  # the first line is a header
    merges = []
    for line in lines:
        left, right = line.split()
        merges.append((left, right))
    return tuple(merges)


@cache
def clip_vocabulary() -> dict[str, int]:
    """Token -> id for CLIP's 49408-entry vocabulary."""
    symbols = byte_symbols()
    tokens = [*symbols, *(symbol + END_OF_WORD for symbol in symbols)]
    tokens.extend(left + right for left, right in clip_merges())
    tokens.extend((START_OF_TEXT, END_OF_TEXT))
    vocabulary = {token: index for index, token in enumerate(tokens)}
    if len(vocabulary) != CLIP_VOCAB_SIZE:
        raise TokenizerSourceMissing(
            f"{bpe_merges_path()} gave {len(vocabulary)} tokens, expected {CLIP_VOCAB_SIZE}"
        )
    return vocabulary


def write_clip_tokenizer(folder: Path, pad_token: str = END_OF_TEXT) -> Path:
    """Write a CLIPTokenizer folder (vocab, merges, configs) and return it.

    ``pad_token`` is ``<|endoftext|>`` for CLIP-L and ``!`` for SDXL's OpenCLIP bigG tokenizer,
    as in the published configs of those models.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(
        json.dumps(clip_vocabulary(), ensure_ascii=False), encoding="utf-8"
    )
    merge_lines = ["#version: 0.2", *(f"{left} {right}" for left, right in clip_merges())]
    (folder / "merges.txt").write_text("\n".join(merge_lines) + "\n", encoding="utf-8")
    special_tokens = {
        "bos_token": START_OF_TEXT,
        "eos_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT,
        "pad_token": pad_token,
    }
    tokenizer_config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": MODEL_MAX_LENGTH,
        "do_lower_case": True,
        "errors": "replace",
        "add_prefix_space": False,
        **special_tokens,
    }
    (folder / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config, indent=2), encoding="utf-8"
    )
    (folder / "special_tokens_map.json").write_text(
        json.dumps(special_tokens, indent=2), encoding="utf-8"
    )
    return folder
