"""What a checkpoint file is, read from its safetensors header without loading weights."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Literal

BaseModel = Literal["sd1", "sdxl"]
SDXL_MARKER = "conditioner.embedders.1."
MAX_HEADER_BYTES = 100 * 1024 * 1024


def safetensors_keys(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        if length > MAX_HEADER_BYTES:
            raise ValueError(f"{path.name}: safetensors header of {length} bytes is not plausible")
        header = json.loads(handle.read(length))
    return [key for key in header if key != "__metadata__"]


def detect_base_model(path: Path) -> BaseModel:
    """sdxl when the file has SDXL's second text encoder, else sd1."""
    try:
        keys = safetensors_keys(path)
    except (OSError, ValueError, struct.error):
        return "sd1"
    return "sdxl" if any(key.startswith(SDXL_MARKER) for key in keys) else "sd1"
