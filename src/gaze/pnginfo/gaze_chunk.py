"""GAZE's own ``gaze`` JSON chunk (`gaze.media.png_metadata`): the whole spec, the preset and
the request's recipe or slots; preferred over the ``parameters`` text beside it."""

from __future__ import annotations

import json
from typing import Any

from gaze.pnginfo.result import GenerationInfo, HiresPass, LoraUse


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".safetensors")


def parse_gaze_chunk(text: str) -> GenerationInfo | None:
    """The parameters of a ``gaze`` chunk; None when it is not GAZE's JSON."""
    try:
        chunk = json.loads(text)
    except ValueError:
        return None
    spec = chunk.get("spec") if isinstance(chunk, dict) else None
    if not isinstance(spec, dict):
        return None
    info = GenerationInfo(source="gaze", raw=chunk, gaze=chunk)
    get = spec.get
    info.positive, info.negative = str(get("positive", "")), str(get("negative", ""))
    info.seed, info.steps, info.cfg = get("seed"), get("steps"), get("cfg")
    info.sampler, info.scheduler = get("sampler"), get("scheduler")
    info.width, info.height = get("width"), get("height")
    info.checkpoint, info.vae, info.clip_skip = get("checkpoint"), get("vae"), get("clip_skip")
    loras: Any = get("loras") or []
    info.loras = [
        LoraUse(str(lora.get("name")), lora.get("model_weight", 1.0), lora.get("clip_weight"))
        for lora in loras
        if isinstance(lora, dict)
    ]
    if get("init_image") is not None:
        info.denoise = get("denoise")
    hires = get("hires")
    if isinstance(hires, dict):
        info.hires = HiresPass(
            upscale=hires.get("scale"),
            steps=hires.get("steps"),
            denoise=hires.get("denoise"),
            upscaler=hires.get("upscaler"),
            sampler=hires.get("sampler"),
            scheduler=hires.get("scheduler"),
        )
    if get("prompt_weighting") not in (None, "comfyui"):
        info.other["prompt_weighting"] = str(get("prompt_weighting"))
    preset = chunk.get("preset")
    if isinstance(preset, dict) and preset.get("slug"):
        info.other["preset"] = str(preset["slug"])
    return info
