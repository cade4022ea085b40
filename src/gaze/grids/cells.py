"""A grid's cells: the product of its axes, x fastest, then y, then z, each a set of changes
to the base generation.

A change lands where it belongs: the seed, checkpoint and size go into the resolution (seed and
`Overrides`), the sampler, scheduler, steps, cfg and a slot into the preset, a LoRA's weight and
a prompt search/replace into the resolved `GenerationSpec`.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

from gaze.generation_spec import GenerationSpec, LoraSpec
from gaze.grids.axes import AXIS_NAMES, Axis, GridRequest
from gaze.presets.schema import Preset

PRESET_FIELDS = ("sampler", "scheduler", "steps", "cfg")


@dataclass(frozen=True)
class Cell:
    """One cell: its index on each axis (0 on an axis the grid lacks), its labels by axis name,
    and its changes."""

    x: int
    y: int
    z: int
    labels: dict[str, str]
    seed: int | None = None
    checkpoint: str | None = None
    size: tuple[int, int] | None = None
    preset_update: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, str] = field(default_factory=dict)
    """Slot category -> the resource id fixed in it."""
    lora_weights: dict[str, float] = field(default_factory=dict)
    replacements: tuple[tuple[str, str], ...] = ()
    """(text to find, its replacement) pairs, applied in order to both prompts."""

    def to_json(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "z": self.z, "labels": self.labels}


def _changes(axis: Axis, index: int) -> dict[str, Any]:
    value = axis.values[index]
    if axis.kind == "seed":
        return {"seed": value}
    if axis.kind == "checkpoint":
        return {"checkpoint": value}
    if axis.kind == "size":
        return {"size": value}
    if axis.kind in PRESET_FIELDS:
        return {"preset_update": {axis.kind: value}}
    if axis.kind == "slot":
        return {"slots": {str(axis.target): value}}
    if axis.kind == "lora_weight":
        return {"lora_weights": {str(axis.target): value}}
    # prompt_sr: the first value is the prompt as it is
    return {"replacements": ((axis.values[0], value),) if index else ()}


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "preset_update": {},
        "slots": {},
        "lora_weights": {},
        "replacements": (),
    }
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict):
                merged[key] = {**merged[key], **value}
            elif key == "replacements":
                merged[key] = merged[key] + value
            else:
                merged[key] = value
    return merged


def expand_cells(request: GridRequest) -> list[Cell]:
    """Every cell, x fastest, then y, then z."""
    ranges = [
        range(len(request.axes[name].values)) if name in request.axes else range(1)
        for name in AXIS_NAMES
    ]
    cells = []
    for z, y, x in itertools.product(*reversed(ranges)):
        index = {"x": x, "y": y, "z": z}
        present = [(name, axis) for name, axis in request.axes.items()]
        labels = {name: axis.label(index[name]) for name, axis in present}
        changes = _merged([_changes(axis, index[name]) for name, axis in present])
        cells.append(Cell(x=x, y=y, z=z, labels=labels, **changes))
    return cells


def cell_preset(preset: Preset, cell: Cell) -> Preset:
    """The preset with the cell's sampling settings and fixed slots."""
    update = dict(cell.preset_update)
    for category, resource_id in cell.slots.items():
        slot = getattr(preset, category)
        fixed: dict[str, Any] = {"mode": "fixed", "id": resource_id, "pool": None, "fields": None}
        if category == "detailers":
            fixed["ids"] = []
            fixed["count"] = 1
        if category == "characters":
            fixed["outfit"] = None
        update[category] = slot.model_copy(update=fixed)
    return preset.model_copy(update=update) if update else preset


def _weighted(loras: tuple[LoraSpec, ...], file: str, weight: float) -> tuple[LoraSpec, ...]:
    if any(lora.name == file for lora in loras):
        return tuple(
            dataclasses.replace(lora, model_weight=weight, clip_weight=weight)
            if lora.name == file
            else lora
            for lora in loras
        )
    return (*loras, LoraSpec(name=file, model_weight=weight, clip_weight=weight))


def adjusted_spec(spec: GenerationSpec, cell: Cell) -> GenerationSpec:
    """The resolved spec with the cell's LoRA weights and prompt replacements."""
    loras = spec.loras
    for file, weight in cell.lora_weights.items():
        loras = _weighted(loras, file, weight)
    positive, negative = spec.positive, spec.negative
    for find, replacement in cell.replacements:
        positive = positive.replace(find, replacement)
        negative = negative.replace(find, replacement)
    return dataclasses.replace(spec, loras=loras, positive=positive, negative=negative)
