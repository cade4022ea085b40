"""Follow-ups on a finished job, each queued as a new job (answered like a generation):

- upscale: a hires-style pass over the job's image: the image is the init image at its own size
  (denoise 0: the first pass keeps it as it is), then the hires pass upscales it by ``scale``
  with ``upscaler`` and samples it again at ``denoise``, with the job's seed, prompt and
  sampling settings;
- vary: img2img from the job's image at ``denoise``, with a new random seed unless one is given;
- inpaint: redraw the job's image where ``mask`` (an upload of the image's size) is white, at
  ``denoise`` (default 0.75), with the job's seed unless one is given, so what is kept stays.

The job must be done (409 otherwise) and its image still in the media folder.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from gaze.db.models import JobRow
from gaze.engines.model_lists import preflight_problem
from gaze.generation.image_inputs import (
    checked_image,
    hires_sampling_problem,
    hires_size_problem,
)
from gaze.generation.image_options import InvalidImageOptions, parse_hires, parse_image_options
from gaze.generation.options import MAX_COUNT, SIZE_STEP
from gaze.generation_spec import (
    DEFAULT_IMG2IMG_DENOISE,
    DEFAULT_MASK_BLUR,
    DEFAULT_MASK_GROW,
    GenerationSpec,
    HiresSpec,
    random_seed,
    seed_problem,
)
from gaze.jobs.context import JobContext
from gaze.jobs.service import JobNotFound
from gaze.jobs.status import DONE
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected, Submission, queue_new_jobs
from gaze.media.source_images import CheckedSource, SourceImageProblem, checked_source
from gaze.service_errors import Conflict

UPSCALE_FIELDS = ("scale", "upscaler", "denoise")
VARY_FIELDS = ("denoise", "seed", "count")
INPAINT_FIELDS = ("mask", "denoise", "seed", "mask_blur", "mask_grow")
UPSCALE_DEFAULTS: dict[str, Any] = {"scale": 2.0, "upscaler": "pixel-lanczos", "denoise": 0.35}
VARY_DENOISE = 0.35
MAX_LABEL = 400


class JobNotDone(Conflict):
    def __init__(self, job_id: str, status: str, action: str) -> None:
        super().__init__(
            f"Job {job_id!r} is {status}; only a done job can be {action}.", code="job_not_done"
        )


def _unknown_fields(values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise InvalidImageOptions(
            f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(allowed)}",
            code="unknown_field",
        )


def _finished_image(
    context: JobContext, job_id: str, action: str
) -> tuple[JobRow, GenerationSpec, CheckedSource]:
    """The done job, its spec and its image (checked and fingerprinted)."""
    job = context.jobs.get(job_id)
    if job is None:
        raise JobNotFound(job_id)
    if job.status != DONE or not job.result:
        raise JobNotDone(job_id, job.status, action)
    relative_path = str(job.result.get("relative_path", ""))
    try:
        image = checked_source(context.settings.resolved_media_dir, relative_path)
    except SourceImageProblem as problem:
        raise Conflict(
            f"Job {job_id!r}'s image cannot be used: {problem}", code="job_image_missing"
        ) from None
    return job, GenerationSpec.from_dict(job.spec), image


def _from_image(spec: GenerationSpec, image: CheckedSource) -> GenerationSpec:
    """The job's spec starting from its own image, at that image's size."""
    width = image.width // SIZE_STEP * SIZE_STEP
    height = image.height // SIZE_STEP * SIZE_STEP
    return dataclasses.replace(
        spec,
        init_image=image.source,
        width=width,
        height=height,
        resize=None,
        mask=None,
        mask_blur=DEFAULT_MASK_BLUR,
        mask_grow=DEFAULT_MASK_GROW,
        hires=None,
    )


def _queue(context: JobContext, job: JobRow, specs: list[GenerationSpec], label: str) -> Submission:
    lists = context.model_lists()
    for spec in specs:
        problem = hires_sampling_problem(spec, lists) or preflight_problem(spec, lists)
        if problem:
            raise GenerationRejected(f"job {job.id!r}: {problem}", code="model_not_available")
    batch_id = str(uuid.uuid4())
    new_jobs = [
        NewJob(
            label=label[:MAX_LABEL],
            spec=spec,
            output_folder=job.output_folder,
            preset_id=job.preset_id,
            preset_slug=job.preset_slug,
            batch_id=batch_id,
            resolution=dict(job.resolution or {}),
        )
        for spec in specs
    ]
    return queue_new_jobs(context, batch_id, new_jobs)


def upscale_pass(values: Mapping[str, Any]) -> HiresSpec:
    """The upscale request's pass (``scale``, ``upscaler``, ``denoise``; defaults
    UPSCALE_DEFAULTS), checked by the hires pass's rules."""
    _unknown_fields(values, UPSCALE_FIELDS)
    wanted = {**UPSCALE_DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
    return parse_hires(wanted, prefix="", code="invalid_upscale")


def submit_upscale(context: JobContext, job_id: str, values: Mapping[str, Any]) -> Submission:
    """Queue an upscale of a done job's image (see the module docstring)."""
    second_pass = upscale_pass(values)
    job, spec, image = _finished_image(context, job_id, "upscaled")
    upscale = dataclasses.replace(_from_image(spec, image), denoise=0.0, hires=second_pass)
    problem = hires_size_problem(upscale, field="scale")
    if problem:
        raise GenerationRejected(problem, code="invalid_upscale")
    return _queue(context, job, [upscale], f"Upscale ×{second_pass.scale:g}: {job.label}")


def _vary_denoise(value: Any) -> float:
    if value is None:
        return VARY_DENOISE
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidImageOptions(
            f"denoise must be a number from 0 to 1, got {str(value)[:30]}", code="invalid_denoise"
        )
    return float(value)


def _vary_count(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise InvalidImageOptions(
            f"count must be an integer from 1 to {MAX_COUNT}, got {str(value)[:30]}",
            code="invalid_count",
        )
    return value


def _vary_seeds(value: Any, count: int) -> list[int]:
    if value is None:
        return [random_seed() for _ in range(count)]
    problem = seed_problem(value, count)
    if problem:
        raise InvalidImageOptions(f"seed {problem}", code="invalid_seed")
    return [value + index for index in range(count)]


def submit_variation(context: JobContext, job_id: str, values: Mapping[str, Any]) -> Submission:
    """Queue img2img variations of a done job's image (see the module docstring)."""
    _unknown_fields(values, VARY_FIELDS)
    denoise = _vary_denoise(values.get("denoise"))
    seeds = _vary_seeds(values.get("seed"), _vary_count(values.get("count")))
    job, spec, image = _finished_image(context, job_id, "varied")
    start = dataclasses.replace(_from_image(spec, image), denoise=denoise)
    specs = [dataclasses.replace(start, seed=seed) for seed in seeds]
    return _queue(context, job, specs, f"Variation: {job.label}")


def submit_inpaint(context: JobContext, job_id: str, values: Mapping[str, Any]) -> Submission:
    """Queue an inpainting of a done job's image (see the module docstring)."""
    _unknown_fields(values, INPAINT_FIELDS)
    if not values.get("mask"):
        raise InvalidImageOptions(
            "mask is required: the relative_path of an uploaded mask (white = redraw)",
            code="invalid_mask",
        )
    seed = values.get("seed")
    if seed is not None and (problem := seed_problem(seed)):
        raise InvalidImageOptions(f"seed {problem}", code="invalid_seed")
    job, spec, image = _finished_image(context, job_id, "inpainted")
    options = parse_image_options(
        {
            "init_image": image.source.path,
            **{name: values.get(name) for name in ("mask", "denoise", "mask_blur", "mask_grow")},
        }
    )
    mask = checked_image(context, "mask", str(options.mask))
    if (mask.width, mask.height) != (image.width, image.height):
        raise GenerationRejected(
            f"mask is {mask.width}x{mask.height} px but the image is {image.width}x"
            f"{image.height}; they must have the same size",
            code="invalid_mask",
        )
    inpaint = dataclasses.replace(
        _from_image(spec, image),
        mask=mask.source,
        denoise=options.denoise if options.denoise is not None else DEFAULT_IMG2IMG_DENOISE,
        mask_blur=options.mask_blur if options.mask_blur is not None else DEFAULT_MASK_BLUR,
        mask_grow=options.mask_grow if options.mask_grow is not None else DEFAULT_MASK_GROW,
        seed=seed if seed is not None else spec.seed,
    )
    return _queue(context, job, [inpaint], f"Inpaint: {job.label}")
