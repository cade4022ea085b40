"""NovelAI's PNG text: ``Software`` is ``NovelAI``, ``Comment`` a JSON object (``prompt``,
``uc`` the negative, ``steps``, ``scale`` the CFG, ``seed``, ``sampler``, ``width``,
``height``, ``noise_schedule``, ``strength`` for img2img), ``Description`` the prompt again,
``Source`` the model's name."""

from __future__ import annotations

from typing import Any

from gaze.pnginfo.json_text import strict_json
from gaze.pnginfo.names import novelai_sampler, scheduler_name
from gaze.pnginfo.result import GenerationInfo

_NOISE_SCHEDULES = {"native": None, "karras": "karras", "exponential": "exponential"}


def is_novelai(texts: dict[str, str]) -> bool:
    return texts.get("Software", "").strip().lower().startswith("novelai")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if number else None


def parse_novelai(texts: dict[str, str]) -> GenerationInfo:
    info = GenerationInfo(source="novelai", raw={key: texts[key] for key in sorted(texts)})
    try:
        comment = strict_json(texts.get("Comment", ""))
    except ValueError:
        comment = None
    if not isinstance(comment, dict):
        info.warnings.append("the NovelAI Comment is not a JSON object; only the prompt was read")
        info.positive = texts.get("Description", "")
        return info
    prompt = comment.get("prompt")
    info.positive = prompt if isinstance(prompt, str) else texts.get("Description", "")
    negative = comment.get("uc")
    info.negative = negative if isinstance(negative, str) else ""
    info.seed, info.steps = _int(comment.get("seed")), _int(comment.get("steps"))
    info.cfg = _float(comment.get("scale"))
    info.width, info.height = _int(comment.get("width")), _int(comment.get("height"))
    sampler = comment.get("sampler")
    if isinstance(sampler, str):
        info.sampler = novelai_sampler(sampler)
        if info.sampler is None:
            info.warnings.append(f"NovelAI sampler {sampler[:60]!r} is not one GAZE has")
    schedule = comment.get("noise_schedule")
    if isinstance(schedule, str):
        info.scheduler = _NOISE_SCHEDULES.get(schedule, scheduler_name(schedule))
    for key in ("strength", "noise", "sm", "sm_dyn", "cfg_rescale"):  # kept, not mapped
        if key in comment and isinstance(comment[key], (int, float, bool)):
            info.other[key] = str(comment[key])
    model = texts.get("Source")
    info.checkpoint = model.strip() if isinstance(model, str) and model.strip() else None
    info.warnings.append(
        "NovelAI's models run only on NovelAI: pick a checkpoint of your own to reproduce it"
    )
    return info
