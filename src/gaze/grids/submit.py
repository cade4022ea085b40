"""Turning a grid's cells into checked jobs: each cell resolves (its preset, overrides and seed),
gets its spec adjustments and the request's init image and hires pass, and must be runnable on
a backend. Any cell that cannot refuses the whole grid, naming the cell, before anything is
queued."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from gaze.generation.job_plan import PreparedRequest, plan_job, prepare_request
from gaze.generation.submit import (
    JobTarget,
    check_webhook,
    recipe_target,
    stored_preset_target,
)
from gaze.generation_spec import GenerationSpec, random_seed
from gaze.grids.axes import GridRequest, InvalidGrid, backend_problems
from gaze.grids.cells import Cell, adjusted_spec, cell_preset, expand_cells
from gaze.jobs.context import JobContext
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected


@dataclass(frozen=True)
class PlannedCell:
    cell: Cell
    job: NewJob


@dataclass(frozen=True)
class GridPlan:
    preset_slug: str | None
    base_seed: int
    cells: list[PlannedCell]


def grid_job_label(preset_name: str, cell: Cell) -> str:
    return f"Grid: {preset_name} – {', '.join(cell.labels.values())}"


def _where(cell: Cell) -> str:
    return "cell " + ", ".join(f"{name} {label!r}" for name, label in cell.labels.items())


def _target(context: JobContext, request: GridRequest) -> tuple[JobTarget, str]:
    """The grid's preset or recipe, and what its cells' labels call it."""
    if request.recipe is not None:
        target = recipe_target(context, request.recipe)
        return target, target.label
    target = stored_preset_target(context, str(request.preset))
    return target, target.preset.name


def _prompt_sr_problem(request: GridRequest, spec: GenerationSpec) -> None:
    for name, axis in request.axes.items():
        find = axis.values[0]
        if axis.kind == "prompt_sr" and find not in spec.positive and find not in spec.negative:
            raise InvalidGrid(
                f"axis {name}: prompt_sr text {find!r} is not in the prompt",
                code="prompt_sr_missing",
            )


def _cell_job(
    context: JobContext,
    request: GridRequest,
    target: JobTarget,
    name: str,
    prepared: PreparedRequest,
    cell: Cell,
    base_seed: int,
    batch_id: str,
) -> NewJob:
    """The cell's checked job: the request's plan with the cell's checkpoint, size, preset
    changes and seed, then its spec changes (LoRA weights, prompt search/replace)."""
    overrides = prepared.overrides
    if cell.checkpoint is not None:
        overrides = dataclasses.replace(overrides, checkpoint=cell.checkpoint)
    if cell.size is not None:
        overrides = dataclasses.replace(overrides, width=cell.size[0], height=cell.size[1])

    def adjust(spec: GenerationSpec) -> GenerationSpec:
        _prompt_sr_problem(request, spec)
        return adjusted_spec(spec, cell)

    try:
        job = plan_job(
            context,
            cell_preset(target.preset, cell),
            overrides,
            cell.seed if cell.seed is not None else base_seed,
            request.options,
            prepared.inputs,
            label=grid_job_label(name, cell),
            output_folder=target.output_folder,
            batch_id=batch_id,
            adjust=adjust,
            preset_id=target.preset_id,
            preset_slug=target.preset_slug,
            backends=prepared.backends,
            library=prepared.library,
        )
    except GenerationRejected as error:
        raise GenerationRejected(f"{_where(cell)}: {error.message}", code=error.code) from None
    job.resolution["grid"] = cell.to_json()
    return job


def plan_grid(context: JobContext, request: GridRequest, batch_id: str) -> GridPlan:
    """Every cell's job, checked. Raises PresetNotFound, Invalid (a bad recipe), InvalidGrid,
    GenerationRejected."""
    target, name = _target(context, request)
    check_webhook(context, request.options)
    prepared = prepare_request(context, request.options)
    backend_problems(request, list(prepared.backends))
    options = request.options
    base_seed = options.seed if options.seed is not None else random_seed()
    planned = [
        PlannedCell(
            cell, _cell_job(context, request, target, name, prepared, cell, base_seed, batch_id)
        )
        for cell in expand_cells(request)
    ]
    return GridPlan(preset_slug=target.preset_slug, base_seed=base_seed, cells=planned)
