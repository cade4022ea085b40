"""Turning a grid's cells into checked jobs: each cell resolves (its preset, overrides and seed),
gets its spec adjustments and the request's init image and hires pass, and must be runnable on
a backend. Any cell that cannot refuses the whole grid, naming the cell, before anything is
queued."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gaze.engines.model_lists import (
    ModelLists,
    checkpoints_on,
    preflight_problem,
    unavailable_checkpoint_problem,
)
from gaze.generation.image_inputs import (
    CheckedInputs,
    checked_inputs,
    hires_sampling_problem,
    hires_size_problem,
    size_from_init_image,
    with_inputs,
)
from gaze.generation.submit import (
    JobTarget,
    check_webhook,
    library_of,
    recipe_target,
    stored_preset_target,
)
from gaze.generation_spec import GenerationSpec, random_seed
from gaze.grids.axes import GridRequest, InvalidGrid, backend_problems
from gaze.grids.cells import Cell, adjusted_spec, cell_preset, expand_cells
from gaze.jobs.context import JobContext
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected
from gaze.library.view import LibraryView
from gaze.presets.resolve import Overrides, ResolutionError, resolve_preset


@dataclass(frozen=True)
class PlannedCell:
    cell: Cell
    job: NewJob


@dataclass(frozen=True)
class GridPlan:
    preset_slug: str | None
    base_seed: int
    cells: list[PlannedCell]


@dataclass(frozen=True)
class _Base:
    target: JobTarget
    name: str
    """What the cells' labels call the preset: its name, or ``Composed: ...`` for a recipe."""
    library: LibraryView
    lists: list[ModelLists]
    inputs: CheckedInputs
    size: tuple[int | None, int | None]
    seed: int


def grid_job_label(preset_name: str, cell: Cell) -> str:
    return f"Grid: {preset_name} – {', '.join(cell.labels.values())}"


def _where(cell: Cell) -> str:
    return "cell " + ", ".join(f"{name} {label!r}" for name, label in cell.labels.items())


def _target(context: JobContext, request: GridRequest) -> tuple[JobTarget, str]:
    if request.recipe is not None:
        target = recipe_target(context, request.recipe)
        return target, target.label
    target = stored_preset_target(context, str(request.preset))
    return target, target.preset.name


def _base(context: JobContext, request: GridRequest) -> _Base:
    target, name = _target(context, request)
    options = request.options
    check_webhook(context, options)
    lists = context.model_lists()
    if options.checkpoint is not None:
        problem = unavailable_checkpoint_problem(options.checkpoint, checkpoints_on(lists))
        if problem:
            raise GenerationRejected(f"checkpoint {problem}", code="unknown_checkpoint")
    backend_problems(request, lists)
    inputs = checked_inputs(context, options.images)
    size = size_from_init_image(options.images, inputs, options.width, options.height)
    return _Base(
        target=target,
        name=name,
        library=library_of(context),
        lists=lists,
        inputs=inputs,
        size=size,
        seed=options.seed if options.seed is not None else random_seed(),
    )


def _prompt_sr_problem(request: GridRequest, spec: GenerationSpec) -> None:
    for name, axis in request.axes.items():
        find = axis.values[0]
        if axis.kind == "prompt_sr" and find not in spec.positive and find not in spec.negative:
            raise InvalidGrid(
                f"axis {name}: prompt_sr text {find!r} is not in the prompt",
                code="prompt_sr_missing",
            )


def _cell_spec(
    request: GridRequest, base: _Base, cell: Cell
) -> tuple[GenerationSpec, dict[str, Any]]:
    """The cell's checked spec and its resolution choices."""
    options = request.options
    width, height = cell.size or base.size
    overrides = Overrides(
        checkpoint=cell.checkpoint or options.checkpoint,
        extra_positive=options.extra_positive,
        extra_negative=options.extra_negative,
        width=width,
        height=height,
        hires=options.images.hires,
    )
    preset = cell_preset(base.target.preset, cell)
    seed = cell.seed if cell.seed is not None else base.seed
    try:
        resolution = resolve_preset(preset, base.library, overrides, seed)
    except ResolutionError as error:
        raise GenerationRejected(f"{_where(cell)}: {error}", code="preset_unresolvable") from None
    spec = with_inputs(resolution.spec, options.images, base.inputs)
    _prompt_sr_problem(request, spec)
    spec = adjusted_spec(spec, cell)
    problem = hires_size_problem(spec) or hires_sampling_problem(spec, base.lists)
    if problem:
        raise GenerationRejected(f"{_where(cell)}: {problem}", code="invalid_hires")
    problem = preflight_problem(spec, base.lists)
    if problem:
        raise GenerationRejected(f"{_where(cell)}: {problem}", code="model_not_available")
    return spec, {**resolution.choices, "grid": cell.to_json()}


def plan_grid(context: JobContext, request: GridRequest, batch_id: str) -> GridPlan:
    """Every cell's job, checked. Raises PresetNotFound, Invalid (a bad recipe), InvalidGrid,
    GenerationRejected."""
    base = _base(context, request)
    target = base.target
    planned = []
    for cell in expand_cells(request):
        spec, choices = _cell_spec(request, base, cell)
        job = NewJob(
            label=grid_job_label(base.name, cell),
            spec=spec,
            output_folder=target.output_folder,
            preset_id=target.preset_id,
            preset_slug=target.preset_slug,
            batch_id=batch_id,
            resolution=choices,
            webhook_url=request.options.webhook_url,
            webhook_events=request.options.webhook_events,
        )
        planned.append(PlannedCell(cell, job))
    return GridPlan(preset_slug=target.preset_slug, base_seed=base.seed, cells=planned)
