"""Queueing generations of a preset: resolve each image's seed, create jobs, enqueue ids."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass

from gaze.engines.model_lists import preflight_problem
from gaze.jobs.queue_bound import QueueFull, retry_after_seconds
from gaze.jobs.store import NewJob
from gaze.library.database_view import DatabaseLibrary
from gaze.presets.resolve import Overrides, ResolutionError, resolve_preset
from gaze.presets.schema import Preset
from gaze.presets.store import PresetStore
from gaze.runtime import Runtime
from gaze.webhooks.url_policy import WebhookUrlRejected, check_webhook_url

JS_SAFE_SEED_BITS = 53
"""Random seeds stay below 2**53 so that JavaScript clients read them back exactly."""

log = logging.getLogger(__name__)


class PresetNotFound(LookupError):
    pass


class GenerationRejected(ValueError):
    """A generation GAZE will not queue: `status` is the HTTP answer (400 unless said)."""

    status = 400

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers


class QueueFullRejected(GenerationRejected):
    """The request would take the pending jobs past GAZE_MAX_PENDING_JOBS: 429, Retry-After."""

    status = 429

    def __init__(self, full: QueueFull, retry_after: int) -> None:
        super().__init__(
            "queue_full",
            f"{full} Try again in about {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
        self.limit = full.limit
        self.pending = full.pending
        self.retry_after = retry_after


@dataclass(frozen=True)
class GenerationOptions:
    count: int = 1
    seed: int | None = None
    checkpoint: str | None = None
    extra_positive: str = ""
    extra_negative: str = ""
    width: int | None = None
    height: int | None = None
    webhook_url: str | None = None
    webhook_events: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Submission:
    batch_id: str
    job_ids: list[str]

    def to_json(self) -> dict[str, object]:
        """The 202 body of generate and retry."""
        return {
            "jobs": [{"job_id": job_id, "status": "queued"} for job_id in self.job_ids],
            "batch_id": self.batch_id,
        }


def random_seed() -> int:
    return secrets.randbits(JS_SAFE_SEED_BITS)


def preset_label(preset_name: str) -> str:
    return f"Preset: {preset_name} – preview"


def queue_new_jobs(runtime: Runtime, batch_id: str, new_jobs: list[NewJob]) -> Submission:
    """Create the jobs (emitting job.queued) and put their ids on the queue; every way of
    queueing jobs comes here, so the pending-jobs bound holds for all of them."""
    limit = runtime.settings.max_pending_jobs
    if len(new_jobs) > limit:
        raise GenerationRejected(
            "count_over_queue_limit",
            f"This request asks for {len(new_jobs)} images, but at most {limit} jobs may be "
            "pending (GAZE_MAX_PENDING_JOBS); ask for fewer.",
        )
    try:
        rows = runtime.jobs.create(new_jobs, max_pending=limit)
    except QueueFull as full:
        wait = retry_after_seconds(
            runtime.jobs.durations.stats().overall, runtime.settings.worker_count, full.must_leave
        )
        raise QueueFullRejected(full, wait) from None
    queued: list[str] = []
    try:
        for job in rows:
            runtime.queue.enqueue(job.id)
            queued.append(job.id)
    except Exception as error:
        log.exception("could not put jobs on the queue")
        unqueued = [job.id for job in rows if job.id not in queued]
        runtime.jobs.fail_unqueued(unqueued, f"Could not put the job on the queue: {error}")
        if not queued:
            raise
    return Submission(batch_id=batch_id, job_ids=[job.id for job in rows])


def check_webhook(runtime: Runtime, options: GenerationOptions) -> None:
    if options.webhook_url is None:
        return
    try:
        check_webhook_url(options.webhook_url, allow_private=runtime.settings.webhook_allow_private)
    except WebhookUrlRejected as error:
        raise GenerationRejected("invalid_webhook_url", str(error)) from None


def submit_preset_generation(runtime: Runtime, slug: str, options: GenerationOptions) -> Submission:
    row = PresetStore(runtime.database).by_slug(slug)
    if row is None:
        raise PresetNotFound(slug)
    check_webhook(runtime, options)
    preset = Preset.model_validate(row.document)
    backends = runtime.model_lists()
    known_checkpoints = frozenset().union(*(lists.checkpoints for lists in backends))
    if options.checkpoint is not None and options.checkpoint not in known_checkpoints:
        raise GenerationRejected(
            "unknown_checkpoint",
            f"checkpoint {options.checkpoint!r} is not available on any backend",
        )
    try:
        overrides = Overrides(
            checkpoint=options.checkpoint,
            extra_positive=options.extra_positive,
            extra_negative=options.extra_negative,
            width=options.width,
            height=options.height,
        )
    except ValueError as error:
        raise GenerationRejected("invalid_size", str(error)) from None
    first_seed = options.seed if options.seed is not None else None
    seeds = [
        first_seed + index if first_seed is not None else random_seed()
        for index in range(options.count)
    ]
    library = DatabaseLibrary(
        runtime.database, runtime.settings.resolved_models_dir / "checkpoints"
    )
    batch_id = str(uuid.uuid4())
    new_jobs: list[NewJob] = []
    for seed in seeds:
        try:
            resolution = resolve_preset(preset, library, overrides, seed)
        except ResolutionError as error:
            raise GenerationRejected("preset_unresolvable", str(error)) from None
        problem = preflight_problem(resolution.spec, backends)
        if problem:
            raise GenerationRejected("model_not_available", f"preset {preset.slug!r}: {problem}")
        new_jobs.append(
            NewJob(
                label=preset_label(preset.name),
                spec=resolution.spec,
                output_folder=f"presets/{row.slug}",
                preset_id=row.id,
                preset_slug=row.slug,
                batch_id=batch_id,
                resolution=resolution.choices,
                webhook_url=options.webhook_url,
                webhook_events=options.webhook_events,
            )
        )
    return queue_new_jobs(runtime, batch_id, new_jobs)
