"""The request of an X/Y/Z grid, checked: what to run (a preset slug or a recipe), the generate
fields every
cell shares, and up to three axes, each one kind of change with its values.

`parse_grid_request` checks shapes, limits and duplicates; `backend_problems` checks what the
backends offer (checkpoints, samplers, schedulers). What needs the library (slot ids, the text
a `prompt_sr` axis replaces) is checked when the cells resolve.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from gaze.engines.model_lists import ModelLists, checkpoints_on
from gaze.generation.options import (
    MAX_SIZE,
    MIN_SIZE,
    SIZE_STEP,
    GenerationOptions,
    checkpoint_path_problem,
    parse_generation_options,
)
from gaze.generation_spec import seed_problem
from gaze.library.fields import Cfg, Identifier, RelativePath, SamplerName, Steps
from gaze.library.schema import CATEGORIES
from gaze.library.text_rules import prompt_problem
from gaze.service_errors import ServiceError

AXIS_NAMES = ("x", "y", "z")
AXIS_KINDS = (
    "seed",
    "checkpoint",
    "sampler",
    "scheduler",
    "steps",
    "cfg",
    "size",
    "lora_weight",
    "slot",
    "prompt_sr",
)
MAX_CELLS = 100
MIN_LORA_WEIGHT, MAX_LORA_WEIGHT = -10.0, 10.0
GRID_FIELDS = ("preset", "recipe", *AXIS_NAMES)

_STEPS: TypeAdapter[int] = TypeAdapter(Steps)
_CFG: TypeAdapter[float] = TypeAdapter(Cfg)
_SAMPLER_NAME: TypeAdapter[str] = TypeAdapter(SamplerName)
_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)
_FILE: TypeAdapter[str] = TypeAdapter(RelativePath)


class InvalidGrid(ServiceError):
    """A grid request GAZE will not run; the message names the axis and value at fault."""

    default_code = "invalid_grid"


@dataclass(frozen=True)
class Axis:
    """One axis: its kind, its values (checked and normalised), and the kind's target (the LoRA
    file of `lora_weight`, the slot's category of `slot`; else None)."""

    name: str
    kind: str
    values: tuple[Any, ...]
    target: str | None = None

    def label(self, index: int) -> str:
        """How a value is written on the sheet, e.g. ``CFG: 7`` or ``Size: 64x64``."""
        value = self.values[index]
        if self.kind == "size":
            return f"Size: {value[0]}x{value[1]}"
        if self.kind == "checkpoint":
            return f"Checkpoint: {value.rsplit('/', 1)[-1].removesuffix('.safetensors')}"
        if self.kind == "lora_weight":
            return f"{str(self.target).rsplit('/', 1)[-1].removesuffix('.safetensors')}: {value:g}"
        if self.kind == "slot":
            return f"{self.target}: {value}"
        if self.kind == "prompt_sr":
            return str(value)
        if self.kind == "cfg":
            return f"CFG: {value:g}"
        return f"{self.kind.capitalize()}: {value}"

    def to_json(self) -> dict[str, Any]:
        values = [list(value) if self.kind == "size" else value for value in self.values]
        found: dict[str, Any] = {"axis": self.kind, "values": values}
        if self.kind == "lora_weight":
            found["lora"] = self.target
        if self.kind == "slot":
            found["slot"] = self.target
        return found


@dataclass(frozen=True)
class GridRequest:
    preset: str | None
    """The preset's slug; None for a recipe."""
    options: GenerationOptions
    axes: dict[str, Axis]
    """By axis name (x, y, z): only the axes given."""
    recipe: Mapping[str, Any] | None = None
    """A preset not saved (`gaze.presets.recipe`), checked when the cells resolve."""

    @property
    def cell_count(self) -> int:
        return math.prod(len(axis.values) for axis in self.axes.values())


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)[:60]
    except (TypeError, ValueError):
        return repr(value)[:60]


def _refuse(axis: str, message: str, code: str = "invalid_grid_axis") -> InvalidGrid:
    return InvalidGrid(f"axis {axis}: {message}", code=code)


def _checked(adapter: TypeAdapter[Any], axis: str, kind: str, value: Any) -> Any:
    try:
        return adapter.validate_python(value, strict=kind != "cfg")
    except ValidationError as error:
        reason = error.errors()[0]["msg"]
        raise _refuse(axis, f"{kind} value {_shown(value)}: {reason}") from None


def _seed(axis: str, value: Any) -> int:
    problem = seed_problem(value)
    if problem:
        raise _refuse(axis, f"seed {problem}")
    return int(value)


def _size(axis: str, value: Any) -> tuple[int, int]:
    sides: Any = value
    if isinstance(value, str):
        parts = value.lower().replace(" ", "").split("x")
        sides = [int(part) if part.isascii() and part.isdigit() else part for part in parts]
    if (
        not isinstance(sides, list | tuple)
        or len(sides) != 2
        or not all(isinstance(side, int) and not isinstance(side, bool) for side in sides)
    ):
        raise _refuse(
            axis, f'size value {_shown(value)}: write it "512x768" or [512, 768]', "invalid_size"
        )
    for side in sides:
        if not MIN_SIZE <= side <= MAX_SIZE or side % SIZE_STEP:
            raise _refuse(
                axis,
                f"size value {_shown(value)}: each side must be a multiple of {SIZE_STEP} from "
                f"{MIN_SIZE} to {MAX_SIZE}",
                "invalid_size",
            )
    return sides[0], sides[1]


def _lora_weight(axis: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refuse(axis, f"lora_weight value {_shown(value)} is not a number")
    if not MIN_LORA_WEIGHT <= value <= MAX_LORA_WEIGHT:
        raise _refuse(
            axis,
            f"lora_weight value {value} is outside {MIN_LORA_WEIGHT:g} to {MAX_LORA_WEIGHT:g}",
        )
    return float(value)


def _checkpoint(axis: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _refuse(
            axis, f"checkpoint value {_shown(value)} is not a string", "invalid_checkpoint"
        )
    problem = checkpoint_path_problem(value)
    if problem:
        raise _refuse(axis, problem, "invalid_checkpoint")
    return value


def _prompt_text(axis: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _refuse(axis, f"prompt_sr value {_shown(value)} is not a string")
    problem = prompt_problem(value)
    if problem:
        raise _refuse(axis, f"prompt_sr value {_shown(value)} {problem}")
    return value


def _value(axis: str, kind: str, value: Any) -> Any:
    if kind == "seed":
        return _seed(axis, value)
    if kind == "checkpoint":
        return _checkpoint(axis, value)
    if kind in ("sampler", "scheduler"):
        return _checked(_SAMPLER_NAME, axis, kind, value)
    if kind == "steps":
        return _checked(_STEPS, axis, kind, value)
    if kind == "cfg":
        if isinstance(value, bool):
            raise _refuse(axis, f"cfg value {_shown(value)} is not a number")
        return float(_checked(_CFG, axis, kind, value))
    if kind == "size":
        return _size(axis, value)
    if kind == "lora_weight":
        return _lora_weight(axis, value)
    if kind == "slot":
        return _checked(_IDENTIFIER, axis, kind, value)
    return _prompt_text(axis, value)


def _target(axis: str, kind: str, body: Mapping[str, Any]) -> str | None:
    if kind == "lora_weight":
        if "lora" not in body:
            raise _refuse(axis, 'a lora_weight axis needs "lora": the LoRA file it weighs')
        return str(_checked(_FILE, axis, "lora", body["lora"]))
    if kind == "slot":
        slot = body.get("slot")
        if slot not in CATEGORIES:
            raise _refuse(
                axis,
                f'a slot axis needs "slot": one of {", ".join(CATEGORIES)}, got {_shown(slot)}',
            )
        return str(slot)
    return None


def parse_axis(name: str, body: Any) -> Axis:
    if not isinstance(body, Mapping):
        raise _refuse(name, 'must be an object {"axis": <kind>, "values": [...]}')
    kind = body.get("axis")
    if kind not in AXIS_KINDS:
        raise _refuse(
            name,
            f"unknown axis kind {_shown(kind)}; known: {', '.join(AXIS_KINDS)}",
            "unknown_axis",
        )
    allowed = {"axis", "values", *(("lora",) if kind == "lora_weight" else ())}
    allowed |= {"slot"} if kind == "slot" else set()
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise _refuse(name, f"unknown field(s) for a {kind} axis: {', '.join(unknown)}")
    values = body.get("values")
    if not isinstance(values, list) or not values:
        raise _refuse(name, "values must be a non-empty list", "empty_axis")
    if len(values) > MAX_CELLS:
        raise _refuse(name, f"at most {MAX_CELLS} values, got {len(values)}", "too_many_cells")
    target = _target(name, kind, body)
    checked = tuple(_value(name, kind, value) for value in values)
    if kind == "prompt_sr" and not checked[0]:
        raise _refuse(name, "the first prompt_sr value (the text to find) must not be empty")
    return Axis(name=name, kind=kind, values=checked, target=target)


def _clash_key(axis: Axis) -> tuple[str, Any]:
    """Two axes with one key would set the same thing: refused."""
    if axis.kind == "prompt_sr":
        return axis.kind, axis.values[0]
    return axis.kind, axis.target


def _check_clashes(axes: Mapping[str, Axis]) -> None:
    seen: dict[tuple[str, Any], str] = {}
    for name, axis in axes.items():
        key = _clash_key(axis)
        if key in seen:
            raise _refuse(
                name,
                f"axis {seen[key]} already varies {axis.kind}"
                + (f" of {axis.target}" if axis.target else ""),
                "duplicate_axis",
            )
        seen[key] = name


def _subject(body: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any] | None]:
    """What the grid runs: (a preset slug, None) or (None, a recipe)."""
    if "recipe" in body:
        if "preset" in body:
            raise InvalidGrid('give "preset" or "recipe", not both', code="preset_and_recipe")
        recipe = body["recipe"]
        if not isinstance(recipe, Mapping):
            raise InvalidGrid("recipe: must be a JSON object", code="invalid_recipe")
        return None, recipe
    preset = body.get("preset")
    if not isinstance(preset, str) or not preset:
        raise InvalidGrid(
            'a grid needs "preset" (a preset slug) or "recipe"', code="missing_preset"
        )
    return preset, None


def parse_grid_request(body: Any) -> GridRequest:
    """Check a grid request's shape. Raises InvalidGrid (or InvalidOptions for a generate
    field)."""
    if not isinstance(body, Mapping):
        raise InvalidGrid("the body must be a JSON object", code="invalid_body")
    if "count" in body:
        raise InvalidGrid(
            "count is not a grid field: the cells are the count", code="unknown_field"
        )
    preset, recipe = _subject(body)
    options = parse_generation_options({k: v for k, v in body.items() if k not in GRID_FIELDS})
    axes = {name: parse_axis(name, body[name]) for name in AXIS_NAMES if body.get(name) is not None}
    if not axes:
        raise InvalidGrid("a grid needs at least one axis: x, y or z", code="empty_grid")
    _check_clashes(axes)
    request = GridRequest(preset=preset, options=options, axes=axes, recipe=recipe)
    if request.cell_count > MAX_CELLS:
        sizes = " x ".join(f"{len(axis.values)} ({name})" for name, axis in axes.items())
        raise InvalidGrid(
            f"{sizes} makes {request.cell_count} cells; at most {MAX_CELLS}",
            code="too_many_cells",
        )
    return request


def _offered(lists: Sequence[ModelLists], kind: str) -> set[str] | None:
    union: set[str] = set()
    for backend in lists:
        choices = backend.samplers if kind == "sampler" else backend.schedulers
        if choices is None:
            return None
        union.update(choices)
    return union


def backend_problems(request: GridRequest, lists: Sequence[ModelLists]) -> None:
    """Refuse an axis value no backend offers: a checkpoint, sampler or scheduler."""
    for name, axis in request.axes.items():
        if axis.kind == "checkpoint":
            available = checkpoints_on(lists)
            for value in axis.values:
                if value not in available:
                    raise _refuse(
                        name,
                        f"checkpoint {value!r} is not available on any backend",
                        "unknown_checkpoint",
                    )
        if axis.kind in ("sampler", "scheduler"):
            offered = _offered(lists, axis.kind)
            for value in axis.values:
                if offered is not None and value not in offered:
                    raise _refuse(
                        name,
                        f"{axis.kind} {value!r} is not offered by any backend",
                        f"unknown_{axis.kind}",
                    )
