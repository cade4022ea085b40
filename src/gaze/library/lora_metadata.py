"""What a LoRA file says about itself: the ``__metadata__`` of its ``.safetensors`` header.

Only the header is read (8-byte little-endian length, then JSON), never the tensors. Trainers
write strings only: kohya's sd-scripts ``ss_*`` keys and the ``modelspec.*`` keys of the Stability
model spec. A file that is not safetensors, has a header over :data:`MAX_HEADER_BYTES` or bad
JSON has no metadata (``None``); reading never raises for a bad file.
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MAX_HEADER_BYTES = 100 * 1024 * 1024
TRIGGER_WORD_COUNT = 10

_BASE_MODEL_FAMILIES: tuple[tuple[str, str], ...] = (
    ("sdxl", "sdxl"),
    ("stable-diffusion-xl", "sdxl"),
    ("sd_v1", "sd1"),
    ("sd-v1", "sd1"),
    ("stable-diffusion-v1", "sd1"),
    ("sd_v2", "sd2"),
    ("stable-diffusion-v2", "sd2"),
    ("sd3", "sd3"),
    ("stable-diffusion-3", "sd3"),
    ("flux", "flux"),
)


@dataclass(frozen=True)
class LoraMetadata:
    """The facts GAZE shows about a LoRA; every field may be unknown (``None`` / empty)."""

    base_model: str | None
    """The trainer's own words: ``sdxl_base_v1-0``, ``stable-diffusion-xl-v1-base/lora``…"""
    family: str | None
    """``sd1``, ``sd2``, ``sdxl``, ``sd3`` or ``flux`` when ``base_model`` names one."""
    base_checkpoint: str | None
    trigger_words: list[str]
    rank: int | None
    alpha: float | None
    title: str | None
    author: str | None
    description: str | None
    resolution: str | None
    preview: str | None
    """An embedded ``data:image/…`` URL."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_header_metadata(path: Path) -> dict[str, str] | None:
    """The ``__metadata__`` strings of a safetensors file, or ``None`` if it has none or is bad."""
    try:
        with path.open("rb") as file:
            prefix = file.read(8)
            if len(prefix) != 8:
                return None
            (length,) = struct.unpack("<Q", prefix)
            if length == 0 or length > MAX_HEADER_BYTES:
                return None
            raw = file.read(length)
    except OSError:
        return None
    if len(raw) != length:
        return None
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict):
        return None
    return {str(key): value for key, value in metadata.items() if isinstance(value, str)}


def lora_metadata(path: Path) -> LoraMetadata | None:
    """The LoRA facts of ``path``'s header, or ``None`` if it carries no metadata."""
    metadata = read_header_metadata(path)
    if not metadata:
        return None
    return describe(metadata)


def describe(metadata: dict[str, str]) -> LoraMetadata:
    """Derive :class:`LoraMetadata` from a header's metadata strings."""
    base_model = _first(metadata, "ss_base_model_version", "modelspec.architecture")
    return LoraMetadata(
        base_model=base_model,
        family=model_family(base_model),
        base_checkpoint=_first(metadata, "ss_sd_model_name"),
        trigger_words=_trigger_words(metadata),
        rank=_number(metadata.get("ss_network_dim"), int),
        alpha=_number(metadata.get("ss_network_alpha"), float),
        title=_first(metadata, "modelspec.title", "ss_output_name"),
        author=_first(metadata, "modelspec.author"),
        description=_first(metadata, "modelspec.description"),
        resolution=_resolution(metadata),
        preview=_preview(metadata.get("modelspec.thumbnail")),
    )


def model_family(base_model: str | None) -> str | None:
    """The model family a trainer's base model name belongs to, if GAZE knows it."""
    if not base_model:
        return None
    lowered = base_model.lower()
    for marker, family in _BASE_MODEL_FAMILIES:
        if lowered.startswith(marker):
            return family
    return None


def _first(metadata: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        value = metadata.get(key, "").strip()
        if value and value.lower() != "none":
            return value
    return None


def _number(text: str | None, kind: type[int] | type[float]) -> Any:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value) if kind is int else value


def _trigger_words(metadata: dict[str, str]) -> list[str]:
    """``modelspec.trigger_phrase`` then the most frequent training tags over all datasets."""
    words: list[str] = []
    phrase = _first(metadata, "modelspec.trigger_phrase")
    if phrase:
        words.append(phrase)
    counts: Counter[str] = Counter()
    try:
        datasets = json.loads(metadata.get("ss_tag_frequency", "{}"))
    except json.JSONDecodeError:
        datasets = {}
    if isinstance(datasets, dict):
        for tags in datasets.values():
            if not isinstance(tags, dict):
                continue
            for tag, count in tags.items():
                if isinstance(count, int | float) and str(tag).strip():
                    counts[str(tag).strip()] += int(count)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    for tag, _count in ranked:
        if len(words) >= TRIGGER_WORD_COUNT + (1 if phrase else 0):
            break
        if tag not in words:
            words.append(tag)
    return words


def _resolution(metadata: dict[str, str]) -> str | None:
    resolution = _first(metadata, "modelspec.resolution")
    if resolution:
        return resolution
    kohya = _first(metadata, "ss_resolution")
    return kohya.strip("()[]").replace(", ", "x").replace(",", "x") if kohya else None


def _preview(thumbnail: str | None) -> str | None:
    if thumbnail and thumbnail.startswith("data:image/"):
        return thumbnail
    return None
