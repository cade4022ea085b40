"""Strength sweeps (the original GAZE's strengths gallery): a grid of one resource's LoRA from
the low end of its weight to the high end (x) across a few seeds (y).

The grid runs a recipe with the resource fixed in its slot: alone with a checkpoint (the one
given, else the first a backend has), or in a preset's other slots when a preset is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gaze.engines.model_lists import checkpoints_on
from gaze.generation.submit import PresetNotFound, library_of
from gaze.generation_spec import random_seed, seed_problem
from gaze.grids.service import CreatedGrid, GridService
from gaze.jobs.submission import GenerationRejected
from gaze.library.schema import CATEGORIES, Resource, WeightRange
from gaze.presets.store import PresetStore
from gaze.service_errors import Invalid, NotFound

DEFAULT_SEEDS = 3
MAX_SEEDS = 10
DEFAULT_STEPS = 5
MIN_STEPS, MAX_STEPS = 2, 20
SWEEP_FIELDS = ("seeds", "steps", "checkpoint", "preset")
PASSED_FIELDS = ("width", "height", "extra_positive", "extra_negative", "seed")
"""Generate fields a sweep passes on to its grid as they are."""


class ResourceNotFound(NotFound):
    def __init__(self, category: str, resource_id: str) -> None:
        super().__init__(
            f"No {category[:-1]} with id {resource_id!r}.", code=f"{category[:-1]}_not_found"
        )


@dataclass(frozen=True)
class SweepRequest:
    seeds: list[int]
    steps: int
    checkpoint: str | None
    preset: str | None
    passed: dict[str, Any]


def _seeds(value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_SEEDS:
            raise Invalid([f"seeds: a count from 1 to {MAX_SEEDS}, got {value}"])
        return [random_seed() for _ in range(value)]
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SEEDS:
        raise Invalid([f"seeds: a count, or a list of 1 to {MAX_SEEDS} seeds"])
    for seed in value:
        problem = seed_problem(seed)
        if problem:
            raise Invalid([f"seeds: {seed!r} {problem}"])
    if len(set(value)) != len(value):
        raise Invalid(["seeds: a seed is listed twice"])
    return [int(seed) for seed in value]


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise Invalid([f"{key}: must be a non-empty string"])
    return value


def parse_sweep_request(body: Mapping[str, Any]) -> SweepRequest:
    unknown = sorted(set(body) - {*SWEEP_FIELDS, *PASSED_FIELDS})
    if unknown:
        raise Invalid([f"{key}: not a strength sweep field" for key in unknown])
    steps = body.get("steps", DEFAULT_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not MIN_STEPS <= steps <= MAX_STEPS:
        raise Invalid([f"steps: the number of weights, from {MIN_STEPS} to {MAX_STEPS}"])
    return SweepRequest(
        seeds=_seeds(body.get("seeds", DEFAULT_SEEDS)),
        steps=steps,
        checkpoint=_text(body, "checkpoint"),
        preset=_text(body, "preset"),
        passed={key: body[key] for key in PASSED_FIELDS if key in body},
    )


def weight_bounds(weight: float | WeightRange) -> tuple[float, float]:
    """A range's min to max; a fixed weight w from 0 to w (at least 1, to see it take hold)."""
    if isinstance(weight, WeightRange) and weight.min < weight.max:
        return weight.min, weight.max
    fixed = weight.max if isinstance(weight, WeightRange) else weight
    return min(0.0, fixed), max(1.0, fixed)


def sweep_weights(low: float, high: float, steps: int) -> list[float]:
    """`steps` evenly spaced weights from low to high, both included (2 decimals)."""
    weights = [round(low + (high - low) * index / (steps - 1), 2) for index in range(steps)]
    return list(dict.fromkeys(weights))


class StrengthSweeps:
    def __init__(self, grids: GridService) -> None:
        self.grids = grids
        self.context = grids.context

    def resource(self, category: str, resource_id: str) -> Resource:
        if category not in CATEGORIES:
            raise NotFound(f"No category {category!r}.", code="unknown_category")
        found = library_of(self.context).get(category, resource_id)
        if found is None:
            raise ResourceNotFound(category, resource_id)
        return found

    def create(self, category: str, resource_id: str, body: Mapping[str, Any]) -> CreatedGrid:
        """Queue a sweep of the resource's LoRA. Raises NotFound (resource, preset), Invalid
        (the body; a resource without a LoRA), and what `GridService.create` raises."""
        resource = self.resource(category, resource_id)
        if resource.lora is None:
            raise Invalid([f"{category[:-1]} {resource_id!r} has no LoRA to sweep"], code="no_lora")
        request = parse_sweep_request(body)
        low, high = weight_bounds(resource.lora.weight)
        grid = {
            **request.passed,
            "recipe": self._recipe(category, resource_id, request),
            "x": {
                "axis": "lora_weight",
                "lora": resource.lora.file,
                "values": sweep_weights(low, high, request.steps),
            },
            "y": {"axis": "seed", "values": request.seeds},
        }
        if request.checkpoint is not None:
            grid["checkpoint"] = request.checkpoint
        return self.grids.create(grid, sweep=(category, resource_id))

    def _recipe(self, category: str, resource_id: str, request: SweepRequest) -> dict[str, Any]:
        if request.preset is None:
            return {"slots": {category: resource_id}, "checkpoint": self._checkpoint(request)}
        row = PresetStore(self.context.database).by_slug(request.preset)
        if row is None:
            raise PresetNotFound(request.preset)
        recipe = {key: value for key, value in row.document.items() if key != "slug"}
        recipe[category] = resource_id
        return recipe

    def _checkpoint(self, request: SweepRequest) -> str:
        if request.checkpoint is not None:
            return request.checkpoint
        available = sorted(checkpoints_on(self.context.model_lists()))
        if not available:
            raise GenerationRejected(
                "no backend has a checkpoint to sweep with", code="no_checkpoint"
            )
        return available[0]
