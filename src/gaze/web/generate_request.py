"""The generate panel's values (form fields or JSON), checked: count, seed, size, checkpoint
and extra prompt text. The service checks the rest (the checkpoint exists, the preset
resolves)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gaze.generation_spec import MAX_SEED
from gaze.library.text_rules import MAX_PATH_LENGTH, prompt_problem, text_problem

MAX_COUNT = 20


class UnusableRequest(ValueError):
    pass


@dataclass(frozen=True)
class GenerateRequest:
    count: int = 1
    seed: int | None = None
    checkpoint: str = ""
    width: int | None = None
    height: int | None = None
    extra_positive: str = ""
    extra_negative: str = ""


def _integer(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise UnusableRequest(f"{name} must be a whole number")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise UnusableRequest(f"{name} must be a whole number, not {text[:30]!r}")
    return int(text)


def _text(name: str, value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UnusableRequest(f"{name} must be text")
    problem = text_problem(value, limit)
    if problem:
        raise UnusableRequest(f"{name} {problem}")
    return value.strip()


def _prompt(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UnusableRequest(f"{name} must be text")
    problem = prompt_problem(value)
    if problem:
        raise UnusableRequest(f"{name} {problem}")
    return value.strip()


def generate_request(values: Mapping[str, Any]) -> GenerateRequest:
    count = _integer("count", values.get("count"))
    count = 1 if count is None else count
    if not 1 <= count <= MAX_COUNT:
        raise UnusableRequest(f"count must be from 1 to {MAX_COUNT}")
    seed = _integer("seed", values.get("seed"))
    if seed is not None and seed + count - 1 > MAX_SEED:
        raise UnusableRequest(f"seed must be at most {MAX_SEED - count + 1}")
    width = _integer("width", values.get("width"))
    height = _integer("height", values.get("height"))
    if (width is None) != (height is None):
        raise UnusableRequest("give both width and height, or neither")
    for name, side in (("width", width), ("height", height)):
        if side is not None and (not 64 <= side <= 4096 or side % 8):
            raise UnusableRequest(f"{name} must be a multiple of 8 from 64 to 4096")
    checkpoint = _text("checkpoint", values.get("checkpoint"), MAX_PATH_LENGTH)
    return GenerateRequest(
        count=count,
        seed=seed,
        checkpoint=checkpoint,
        width=width,
        height=height,
        extra_positive=_prompt("extra positive", values.get("extra_positive")),
        extra_negative=_prompt("extra negative", values.get("extra_negative")),
    )
