"""One image of a generate request, from a preset model (stored, composed or a grid's cell):
the request's checks that need the database, media folder and backends (`prepare_request`),
the resolved spec with the init image and mask applied (`resolved_job`), and the job to queue
(`plan_job`: that, a caller's change to the spec, then the hires and preflight checks).

Resolution is safe-for-work (`gaze.presets.sfw`) when the caller's API key is
(`gaze.security.caller.current_caller`), unless `resolved_job` is told otherwise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
from gaze.generation.options import GenerationOptions
from gaze.generation_spec import GenerationSpec
from gaze.jobs.context import JobContext
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected
from gaze.library.database_view import DatabaseLibrary
from gaze.library.view import LibraryView
from gaze.presets.resolve import Overrides, Resolution, ResolutionError, resolve_preset
from gaze.presets.schema import Preset
from gaze.presets.slot_overrides import unknown_slot_ids
from gaze.security.caller import current_caller

SpecChange = Callable[[GenerationSpec], GenerationSpec]


def library_of(context: JobContext) -> DatabaseLibrary:
    return DatabaseLibrary(context.database, context.settings.checkpoints_dir)


@dataclass(frozen=True)
class PreparedRequest:
    """What every image of one request shares."""

    overrides: Overrides
    inputs: CheckedInputs
    backends: Sequence[ModelLists]
    library: LibraryView


def prepare_request(context: JobContext, options: GenerationOptions) -> PreparedRequest:
    """The request's overrides, checked against the library, the media folder and the
    backends: the checkpoint is on a backend, the slots name known resources (all unknown
    ids are named), the init image and mask are usable images. Raises GenerationRejected."""
    backends = context.model_lists()
    if options.checkpoint is not None:
        problem = unavailable_checkpoint_problem(options.checkpoint, checkpoints_on(backends))
        if problem:
            raise GenerationRejected(f"checkpoint {problem}", code="unknown_checkpoint")
    library = library_of(context)
    unknown = unknown_slot_ids(options.slots, library)
    if unknown:
        raise GenerationRejected("; ".join(unknown), code="unknown_slot_ids")
    inputs = checked_inputs(context, options.images)
    width, height = size_from_init_image(options.images, inputs, options.width, options.height)
    try:
        overrides = Overrides(
            checkpoint=options.checkpoint,
            extra_positive=options.extra_positive,
            extra_negative=options.extra_negative,
            width=width,
            height=height,
            hires=options.images.hires,
            slots=options.slots,
        )
    except ValueError as error:
        raise GenerationRejected(str(error), code="invalid_size") from None
    return PreparedRequest(overrides, inputs, backends, library)


def resolved_job(
    context: JobContext,
    preset: Preset,
    overrides: Overrides,
    seed: int,
    options: GenerationOptions,
    inputs: CheckedInputs,
    *,
    library: LibraryView | None = None,
    sfw_only: bool | None = None,
) -> Resolution:
    """The preset resolved for `seed` with the request's init image and mask applied (what
    resolve answers); safe-for-work when `sfw_only` says so (None: when the caller's key is).
    Raises GenerationRejected (code ``preset_unresolvable``), NsfwRefused."""
    if sfw_only is None:
        sfw_only = current_caller().sfw_only
    try:
        resolution = resolve_preset(
            preset, library or library_of(context), overrides, seed, sfw_only=sfw_only
        )
    except ResolutionError as error:
        raise GenerationRejected(str(error), code="preset_unresolvable") from None
    spec = with_inputs(resolution.spec, options.images, inputs)
    if inputs.init_image is not None and (overrides.width, overrides.height) != (
        options.width,
        options.height,
    ):
        resolution.choices["size"]["source"] = "init_image"
    return Resolution(spec=spec, choices=resolution.choices)


def checked_spec(spec: GenerationSpec, backends: Sequence[ModelLists], who: str) -> None:
    """Refuse a spec no backend can run: a hires pass too large or with a sampler no backend
    offers, or a model file no backend has (`who` names the preset or recipe)."""
    problem = hires_size_problem(spec) or hires_sampling_problem(spec, backends)
    if problem:
        raise GenerationRejected(problem, code="invalid_hires")
    problem = preflight_problem(spec, backends)
    if problem:
        raise GenerationRejected(f"{who}: {problem}", code="model_not_available")


def plan_job(
    context: JobContext,
    preset: Preset,
    overrides: Overrides,
    seed: int,
    options: GenerationOptions,
    inputs: CheckedInputs,
    *,
    label: str,
    output_folder: str,
    batch_id: str,
    adjust: SpecChange | None = None,
    preset_id: str | None = None,
    preset_slug: str | None = None,
    backends: Sequence[ModelLists] | None = None,
    library: LibraryView | None = None,
) -> NewJob:
    """The job of one image: resolve, apply the init image and mask, `adjust` the spec, check
    the hires pass and that a backend has every model, and make the NewJob (not queued).
    `backends` and `library` default to the context's (pass them when planning many jobs).
    Raises GenerationRejected."""
    resolution = resolved_job(context, preset, overrides, seed, options, inputs, library=library)
    spec = adjust(resolution.spec) if adjust is not None else resolution.spec
    who = f"preset {preset_slug!r}" if preset_slug is not None else "recipe"
    checked_spec(spec, backends if backends is not None else context.model_lists(), who)
    return NewJob(
        label=label,
        spec=spec,
        output_folder=output_folder,
        preset_id=preset_id,
        preset_slug=preset_slug,
        batch_id=batch_id,
        resolution=resolution.choices,
        webhook_url=options.webhook_url,
        webhook_events=options.webhook_events,
    )
