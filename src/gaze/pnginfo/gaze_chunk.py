"""GAZE's own ``gaze`` JSON chunk (`gaze.media.png_metadata`): the whole spec, the preset and
the request's recipe or slots; preferred over the ``parameters`` text beside it. Values of the
wrong type (a hand-edited file) are left out."""

from __future__ import annotations

from typing import Any

from gaze.pnginfo.json_text import strict_json
from gaze.pnginfo.result import GenerationInfo, HiresPass, LoraUse


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if number else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _hires(hires: dict[str, Any]) -> HiresPass:
    return HiresPass(
        upscale=_float(hires.get("scale")),
        steps=_int(hires.get("steps")),
        denoise=_float(hires.get("denoise")),
        upscaler=_text(hires.get("upscaler")),
        sampler=_text(hires.get("sampler")),
        scheduler=_text(hires.get("scheduler")),
    )


def _loras(loras: Any) -> list[LoraUse]:
    found = []
    for lora in loras if isinstance(loras, list) else []:
        if isinstance(lora, dict) and isinstance(lora.get("name"), str):
            strength = _float(lora.get("model_weight"))
            clip_strength = _float(lora.get("clip_weight"))
            weight = 1.0 if strength is None else strength
            found.append(LoraUse(lora["name"], weight, clip_strength))
    return found


def parse_gaze_chunk(text: str) -> GenerationInfo | None:
    """The parameters of a ``gaze`` chunk; None when it is not GAZE's JSON."""
    try:
        chunk = strict_json(text)
    except ValueError:
        return None
    spec = chunk.get("spec") if isinstance(chunk, dict) else None
    if not isinstance(spec, dict):
        return None
    info = GenerationInfo(source="gaze", raw=chunk, gaze=chunk)
    get = spec.get
    info.positive, info.negative = _text(get("positive")) or "", _text(get("negative")) or ""
    info.seed, info.steps, info.cfg = _int(get("seed")), _int(get("steps")), _float(get("cfg"))
    info.sampler, info.scheduler = _text(get("sampler")), _text(get("scheduler"))
    info.width, info.height = _int(get("width")), _int(get("height"))
    info.checkpoint, info.vae = _text(get("checkpoint")), _text(get("vae"))
    info.clip_skip = _int(get("clip_skip"))
    info.loras = _loras(get("loras"))
    if get("init_image") is not None:
        info.denoise = _float(get("denoise"))
    hires = get("hires")
    if isinstance(hires, dict):
        info.hires = _hires(hires)
    weighting = _text(get("prompt_weighting"))
    if weighting not in (None, "comfyui"):
        info.other["prompt_weighting"] = weighting
    preset = chunk.get("preset")
    if isinstance(preset, dict) and isinstance(preset.get("slug"), str):
        info.other["preset"] = preset["slug"]
    return info
