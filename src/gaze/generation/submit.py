"""Queueing generations of a stored preset or of a recipe (a preset not saved): one path for
both (`submit_generation`), each image planned by `gaze.generation.job_plan.plan_job`; with an
Idempotency-Key, at most once per request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from gaze.generation.job_plan import library_of, plan_job, prepare_request
from gaze.generation.options import GenerationOptions
from gaze.generation_spec import random_seed
from gaze.jobs.context import JobContext
from gaze.jobs.fair_queue import PRIORITIES
from gaze.jobs.idempotency import IdempotencyKeys, request_fingerprint
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected, Submission, queue_new_jobs
from gaze.presets.lora_fit import lora_fit_problems
from gaze.presets.recipe import (
    COMPOSED_FOLDER,
    composed_label,
    recipe_preset,
    recipe_reference_problems,
)
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


@dataclass(frozen=True)
class JobTarget:
    """What a request generates: the preset model and how its jobs are labelled and filed."""

    preset: Preset
    label: str
    output_folder: str
    preset_id: str | None = None
    preset_slug: str | None = None


def stored_preset_target(context: JobContext, slug: str) -> JobTarget:
    row = PresetStore(context.database).by_slug(slug)
    if row is None:
        raise PresetNotFound(slug)
    preset = Preset.model_validate(row.document)
    return JobTarget(preset, preset_label(preset.name), f"presets/{row.slug}", row.id, row.slug)


def recipe_target(context: JobContext, recipe: Any) -> JobTarget:
    """A recipe's preset; Invalid for a bad recipe, GenerationRejected naming every unknown id,
    or each of the recipe's own LoRAs made for another model family than its checkpoint."""
    preset = recipe_preset(recipe)
    library = library_of(context)
    unknown = recipe_reference_problems(preset, library)
    if unknown:
        raise GenerationRejected("; ".join(unknown), code="unknown_slot_ids")
    misfits = lora_fit_problems(preset, library, resources=False)
    if misfits:
        lines = "; ".join(f"recipe.{line}" for line in misfits)
        raise GenerationRejected(lines, code="lora_model_mismatch")
    return JobTarget(preset, composed_label(preset, library), COMPOSED_FOLDER)


def submit_generation(
    context: JobContext, target: JobTarget, options: GenerationOptions
) -> Submission:
    """Queue one job per image of the request."""
    check_webhook(context, options)
    prepared = prepare_request(context, options)
    seeds = options.seeds() or [random_seed() for _ in range(options.count)]
    batch_id = str(uuid.uuid4())
    new_jobs: list[NewJob] = [
        plan_job(
            context,
            target.preset,
            prepared.overrides,
            seed,
            options,
            prepared.inputs,
            label=target.label,
            output_folder=target.output_folder,
            batch_id=batch_id,
            preset_id=target.preset_id,
            preset_slug=target.preset_slug,
            backends=prepared.backends,
            library=prepared.library,
        )
        for seed in seeds
    ]
    request = request_record(target, options)
    if request:
        for job in new_jobs:
            job.resolution["request"] = request
    return queue_new_jobs(context, batch_id, new_jobs, priority=PRIORITIES[options.priority])


def request_record(target: JobTarget, options: GenerationOptions) -> dict[str, Any]:
    """What of the request a job's resolution (and so its PNG) must carry to be asked for again
    beside the preset's slug and the generate fields the spec shows: a recipe's fields, and the
    slots that replaced a preset's."""
    record: dict[str, Any] = {}
    if target.preset_slug is None:
        record["recipe"] = target.preset.model_dump(
            mode="json", exclude={"id", "slug", "name"}, exclude_defaults=True
        )
    if options.slots:
        record["slots"] = {
            category: {"mode": slot.mode, **slot.model_dump(mode="json", exclude_defaults=True)}
            for category, slot in options.slots.items()
        }
    return record


def submit_preset_generation(
    context: JobContext, slug: str, options: GenerationOptions
) -> Submission:
    return submit_generation(context, stored_preset_target(context, slug), options)


def submit_recipe_generation(
    context: JobContext, recipe: Any, options: GenerationOptions
) -> Submission:
    return submit_generation(context, recipe_target(context, recipe), options)


@dataclass(frozen=True)
class GenerateAnswer:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def _once(
    context: JobContext, fingerprint: str, key: str | None, submit: Callable[[], Submission]
) -> GenerateAnswer:
    if key is None:
        return GenerateAnswer(status_code=202, body=submit().to_json(), replayed=False)
    keys = IdempotencyKeys(context.database)
    stored = keys.reserve(key, fingerprint)
    if stored is not None:
        return GenerateAnswer(status_code=stored.status_code, body=stored.body, replayed=True)
    try:
        body = submit().to_json()
    except BaseException:
        keys.release(key)
        raise
    keys.complete(key, 202, body)
    return GenerateAnswer(status_code=202, body=body, replayed=False)


def submit_once(
    context: JobContext, slug: str, options: GenerationOptions, key: str | None
) -> GenerateAnswer:
    """Queue the generation, or, for a key seen in the last 24 hours with the same request,
    replay the first answer. Raises IdempotencyConflict, PresetNotFound, GenerationRejected."""
    fingerprint = request_fingerprint("generate", slug, asdict(options))
    return _once(
        context, fingerprint, key, lambda: submit_preset_generation(context, slug, options)
    )


def compose_once(
    context: JobContext, recipe: Any, options: GenerationOptions, key: str | None
) -> GenerateAnswer:
    """`submit_once` for a recipe."""
    fingerprint = request_fingerprint("compose", recipe, asdict(options))
    return _once(
        context, fingerprint, key, lambda: submit_recipe_generation(context, recipe, options)
    )
