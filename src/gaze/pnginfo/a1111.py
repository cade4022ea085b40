"""A1111/Forge's ``parameters`` text (also what GAZE writes beside its JSON chunk).

Layout: the positive prompt's lines, then optionally lines starting ``Negative prompt:``, then
one line of ``Key: value`` settings separated by commas, where a value holding a comma is
quoted (``Lora hashes: "a: 1234, b: 5678"``). LoRAs are ``<lora:name:weight>`` in the prompt;
they are taken out of it (with the space before them, as GAZE writes them) into `loras`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from gaze.pnginfo.json_text import strict_json
from gaze.pnginfo.names import hires_upscaler, sampler_and_scheduler, scheduler_name
from gaze.pnginfo.result import GenerationInfo, HiresPass, LoraUse

NEGATIVE_PREFIX = "Negative prompt:"
_KEY = re.compile(r"[A-Za-z][\w \-/()]*")
_LORA_TAG = re.compile(r" ?<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>(?P<trail>(?:, ?)?)")
_SIZE = re.compile(r"(\d+)\s*x\s*(\d+)")
_MIN_SETTINGS = 3


def _quoted_end(line: str, start: int) -> int:
    """The index of the quote closing the one at `start` (or the line's end)."""
    index = start + 1
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line[index] == '"':
            return index
        index += 1
    return len(line) - 1


def settings_pairs(line: str) -> list[tuple[str, str]] | None:
    """The ``Key: value`` pairs of a settings line; None when the line is not one."""
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(line):
        while index < len(line) and line[index] in " ,":
            index += 1
        if index >= len(line):
            break
        colon = line.find(":", index)
        key = line[index:colon].strip() if colon > 0 else ""
        if not _KEY.fullmatch(key):
            return None
        index = colon + 1
        while index < len(line) and line[index] == " ":
            index += 1
        if index < len(line) and line[index] == '"':
            end = _quoted_end(line, index)
            quoted = line[index : end + 1]
            try:
                value = str(strict_json(quoted))
            except ValueError:
                value = quoted.strip('"')
            index = end + 1
        else:
            comma = line.find(",", index)
            comma = len(line) if comma < 0 else comma
            value = line[index:comma].strip()
            index = comma
        pairs.append((key, value))
    return pairs


def _number(kind: Callable[[str], Any], key: str, value: str, warnings: list[str]) -> Any:
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        warnings.append(f"{key}: {value[:60]!r} is not a number; it was left out")
        return None
    return number


def _loras(positive: str, hashes: str | None, warnings: list[str]) -> tuple[str, list[LoraUse]]:
    loras: list[LoraUse] = []
    for match in _LORA_TAG.finditer(positive):
        weight = match.group(2)
        strength = 1.0 if weight in (None, "") else _number(float, "LoRA", weight, warnings)
        loras.append(LoraUse(match.group(1).strip(), 1.0 if strength is None else strength))
    known = {}
    for part in (hashes or "").split(","):
        name, _, file_hash = part.partition(":")
        known[name.strip()] = file_hash.strip() or None
    for lora in loras:
        lora.hash = known.get(lora.name)
    return _without_lora_tags(positive), loras


def _without_lora_tags(positive: str) -> str:
    """The prompt without its LoRA tags and the space before each; after a comma (or at a
    line's start) the comma following a tag goes too, so ``a, <lora:x:1>, b`` is ``a, b``."""
    kept: list[str] = []
    last = 0
    for match in _LORA_TAG.finditer(positive):
        kept.append(positive[last : match.start()])
        before = "".join(kept).rstrip(" ")
        after_separator = before == "" or before.endswith((",", "\n"))
        if not after_separator:
            kept.append(match.group("trail"))
        last = match.end()
    kept.append(positive[last:])
    return "".join(kept)


def _size(info: GenerationInfo, value: str) -> None:
    match = _SIZE.fullmatch(value.strip())
    if match is None:
        info.warnings.append(f"Size: {value[:40]!r} is not WIDTHxHEIGHT; it was left out")
        return
    info.width, info.height = int(match.group(1)), int(match.group(2))


def _sampler(info: GenerationInfo, value: str) -> None:
    sampler, scheduler = sampler_and_scheduler(value)
    if sampler is None:
        info.warnings.append(f"Sampler {value[:60]!r} is not one GAZE has; it was left out")
    info.sampler = sampler
    if scheduler is not None and info.scheduler is None:
        info.scheduler = scheduler


def _scheduler(info: GenerationInfo, value: str) -> None:
    name = scheduler_name(value)
    if name is None and value.strip().lower() != "automatic":
        info.warnings.append(f"Schedule type {value[:60]!r} is not one GAZE has; left out")
    if name is not None:
        info.scheduler = name


def _hires(settings: dict[str, str], info: GenerationInfo) -> HiresPass | None:
    if not any(key.startswith("Hires ") for key in settings):
        return None
    warnings = info.warnings
    hires = HiresPass()
    if "Hires upscale" in settings:
        hires.upscale = _number(float, "Hires upscale", settings["Hires upscale"], warnings)
    elif "Hires resize" in settings and info.width:
        match = _SIZE.fullmatch(settings["Hires resize"].strip())
        if match is not None:
            hires.upscale = int(match.group(1)) / info.width
    if "Hires steps" in settings:
        steps = _number(int, "Hires steps", settings["Hires steps"], warnings)
        hires.steps = steps or None  # A1111's 0: as many as the first pass
    if "Denoising strength" in settings:
        hires.denoise = _number(float, "Denoising strength", settings["Denoising strength"], [])
    if "Hires upscaler" in settings:
        hires.upscaler = hires_upscaler(settings["Hires upscaler"])
    if "Hires sampler" in settings:
        hires.sampler = sampler_and_scheduler(settings["Hires sampler"])[0]
    if "Hires schedule type" in settings:
        hires.scheduler = scheduler_name(settings["Hires schedule type"])
    return hires


_HIRES_KEYS = (
    "Hires upscale",
    "Hires resize",
    "Hires steps",
    "Hires upscaler",
    "Hires sampler",
    "Hires schedule type",
)


def _apply(settings: dict[str, str], info: GenerationInfo) -> None:
    warnings = info.warnings
    handlers: dict[str, Callable[[str], None]] = {
        "Steps": lambda value: setattr(info, "steps", _number(int, "Steps", value, warnings)),
        "Schedule type": lambda value: _scheduler(info, value),
        "CFG scale": lambda value: setattr(info, "cfg", _number(float, "CFG", value, warnings)),
        "Seed": lambda value: setattr(info, "seed", _number(int, "Seed", value, warnings)),
        "Size": lambda value: _size(info, value),
        "Model hash": lambda value: setattr(info, "checkpoint_hash", value),
        "Model": lambda value: setattr(info, "checkpoint", value),
        "Clip skip": lambda value: setattr(info, "clip_skip", _number(int, "Clip skip", value, [])),
        "VAE": lambda value: setattr(info, "vae", value),
    }
    for key, value in settings.items():
        if key in handlers:
            handlers[key](value)
    if "Sampler" in settings:  # after the schedule type: an old label names its own
        _sampler(info, settings["Sampler"])
    info.hires = _hires(settings, info)
    strength = settings.get("Init denoising strength" if info.hires else "Denoising strength")
    if strength is not None:
        info.denoise = _number(float, "Denoising strength", strength, warnings)
    used = {*handlers, "Sampler", "Lora hashes", "Denoising strength", "Init denoising strength"}
    info.other = {key: value for key, value in settings.items() if key not in used}
    for key in _HIRES_KEYS:
        info.other.pop(key, None)


def parse_a1111(text: str, source: str = "a1111") -> GenerationInfo:
    """The parameters of an A1111 ``parameters`` text (see the module docstring)."""
    info = GenerationInfo(source="gaze" if source == "gaze" else "a1111", raw=text)
    lines = text.split("\n")
    settings: dict[str, str] = {}
    pairs = settings_pairs(lines[-1].strip()) if len(lines) > 1 or ":" in text else None
    if pairs is not None and len(pairs) >= _MIN_SETTINGS:
        settings = dict(pairs)
        lines = lines[:-1]
    else:
        info.warnings.append("the text has no settings line (Steps, Sampler, ...): prompt only")
    negative_at = next(
        (index for index, line in enumerate(lines) if line.startswith(NEGATIVE_PREFIX)), None
    )
    positive_lines = lines if negative_at is None else lines[:negative_at]
    if negative_at is not None:
        negative = "\n".join(lines[negative_at:]).removeprefix(NEGATIVE_PREFIX)
        info.negative = negative.removeprefix(" ")
    info.positive, info.loras = _loras(
        "\n".join(positive_lines), settings.get("Lora hashes"), info.warnings
    )
    _apply(settings, info)
    return info
