"""Queueing generations of a stored preset: resolve each image's seed (with the request's init
image, mask and hires pass), create the jobs, enqueue their ids; with an Idempotency-Key, at
most once per request."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from gaze.engines.model_lists import (
    checkpoints_on,
    preflight_problem,
    unavailable_checkpoint_problem,
)
from gaze.generation.image_inputs import (
    checked_inputs,
    hires_sampling_problem,
    hires_size_problem,
    size_from_init_image,
    with_inputs,
)
from gaze.generation.options import GenerationOptions
from gaze.generation_spec import random_seed
from gaze.jobs.context import JobContext
from gaze.jobs.idempotency import IdempotencyKeys, request_fingerprint
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected, Submission, queue_new_jobs
from gaze.library.database_view import DatabaseLibrary
from gaze.presets.resolve import Overrides, ResolutionError, resolve_preset
from gaze.presets.schema import Preset
from gaze.presets.store import PresetStore
from gaze.service_errors import NotFound
from gaze.webhooks.url_policy import WebhookUrlRejected, check_webhook_url


class PresetNotFound(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"No preset with slug {slug!r}.", code="preset_not_found")
        self.slug = slug


def preset_label(preset_name: str) -> str:
    return f"Preset: {preset_name} – preview"


def check_webhook(context: JobContext, options: GenerationOptions) -> None:
    if options.webhook_url is None:
        return
    try:
        check_webhook_url(options.webhook_url, allow_private=context.settings.webhook_allow_private)
    except WebhookUrlRejected as error:
        raise GenerationRejected(str(error), code="invalid_webhook_url") from None


def library_of(context: JobContext) -> DatabaseLibrary:
    return DatabaseLibrary(context.database, context.settings.checkpoints_dir)


def submit_preset_generation(
    context: JobContext, slug: str, options: GenerationOptions
) -> Submission:
    row = PresetStore(context.database).by_slug(slug)
    if row is None:
        raise PresetNotFound(slug)
    check_webhook(context, options)
    preset = Preset.model_validate(row.document)
    backends = context.model_lists()
    if options.checkpoint is not None:
        problem = unavailable_checkpoint_problem(options.checkpoint, checkpoints_on(backends))
        if problem:
            raise GenerationRejected(f"checkpoint {problem}", code="unknown_checkpoint")
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
        )
    except ValueError as error:
        raise GenerationRejected(str(error), code="invalid_size") from None
    seeds = options.seeds() or [random_seed() for _ in range(options.count)]
    library = library_of(context)
    batch_id = str(uuid.uuid4())
    new_jobs: list[NewJob] = []
    for seed in seeds:
        try:
            resolution = resolve_preset(preset, library, overrides, seed)
        except ResolutionError as error:
            raise GenerationRejected(str(error), code="preset_unresolvable") from None
        spec = with_inputs(resolution.spec, options.images, inputs)
        problem = hires_size_problem(spec) or hires_sampling_problem(spec, backends)
        if problem:
            raise GenerationRejected(problem, code="invalid_hires")
        problem = preflight_problem(spec, backends)
        if problem:
            raise GenerationRejected(
                f"preset {preset.slug!r}: {problem}", code="model_not_available"
            )
        if inputs.init_image is not None and (width, height) != (options.width, options.height):
            resolution.choices["size"]["source"] = "init_image"
        new_jobs.append(
            NewJob(
                label=preset_label(preset.name),
                spec=spec,
                output_folder=f"presets/{row.slug}",
                preset_id=row.id,
                preset_slug=row.slug,
                batch_id=batch_id,
                resolution=resolution.choices,
                webhook_url=options.webhook_url,
                webhook_events=options.webhook_events,
            )
        )
    return queue_new_jobs(context, batch_id, new_jobs)


@dataclass(frozen=True)
class GenerateAnswer:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def submit_once(
    context: JobContext, slug: str, options: GenerationOptions, key: str | None
) -> GenerateAnswer:
    """Queue the generation, or, for a key seen in the last 24 hours with the same request,
    replay the first answer. Raises IdempotencyConflict, PresetNotFound, GenerationRejected."""
    if key is None:
        body = submit_preset_generation(context, slug, options).to_json()
        return GenerateAnswer(status_code=202, body=body, replayed=False)
    keys = IdempotencyKeys(context.database)
    stored = keys.reserve(key, request_fingerprint("generate", slug, asdict(options)))
    if stored is not None:
        return GenerateAnswer(status_code=stored.status_code, body=stored.body, replayed=True)
    try:
        body = submit_preset_generation(context, slug, options).to_json()
    except BaseException:
        keys.release(key)
        raise
    keys.complete(key, 202, body)
    return GenerateAnswer(status_code=202, body=body, replayed=False)
