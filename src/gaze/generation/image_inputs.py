"""The init image and mask a generate request names, checked against the media folder and the
gallery, and applied to each resolved spec with the request's hires pass.

Rules (each refused with a 400 naming the field):
- ``init_image`` and ``mask`` name an upload (``inputs/...``) or a gallery image, which must be
  a readable image of at most 4096 px a side; the spec records its SHA-256;
- the mask has the init image's size;
- with an init image and no width/height: without ``resize`` the job takes the init image's size
  rounded down to a multiple of 8; with ``resize`` the preset's size as usual;
- ``denoise`` defaults to DEFAULT_IMG2IMG_DENOISE with an init image;
- a hires pass's output (each side scaled and rounded to a multiple of 8) is at most 4096 px a
  side, and its sampler and scheduler must be ones a backend offers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import ImageRow
from gaze.engines.model_lists import ModelLists
from gaze.generation.image_options import ImageOptions
from gaze.generation.options import MAX_SIZE, MIN_SIZE, SIZE_STEP
from gaze.generation_spec import (
    DEFAULT_IMG2IMG_DENOISE,
    DEFAULT_MASK_BLUR,
    DEFAULT_MASK_GROW,
    GenerationSpec,
)
from gaze.jobs.context import JobContext
from gaze.jobs.submission import GenerationRejected
from gaze.media.source_images import CheckedSource, SourceImageProblem, checked_source
from gaze.media.uploads import UPLOADS_FOLDER


@dataclass(frozen=True)
class CheckedInputs:
    init_image: CheckedSource | None = None
    mask: CheckedSource | None = None


def is_gallery_image(database: Database, relative_path: str) -> bool:
    with database.session() as session:
        found = session.scalar(
            select(ImageRow.id).where(ImageRow.relative_path == relative_path).limit(1)
        )
    return found is not None


def checked_image(context: JobContext, field: str, relative_path: str) -> CheckedSource:
    """The upload or gallery image at `relative_path`; GenerationRejected naming `field`."""
    is_upload = relative_path.startswith(f"{UPLOADS_FOLDER}/")
    if not is_upload and not is_gallery_image(context.database, relative_path):
        raise GenerationRejected(
            f"{field} {relative_path[:200]!r} is neither an upload ({UPLOADS_FOLDER}/...) nor a "
            "gallery image",
            code=f"unknown_{field}",
        )
    try:
        return checked_source(context.settings.resolved_media_dir, relative_path)
    except SourceImageProblem as problem:
        raise GenerationRejected(f"{field} {problem}", code=f"invalid_{field}") from None


def checked_inputs(context: JobContext, options: ImageOptions) -> CheckedInputs:
    init = checked_image(context, "init_image", options.init_image) if options.init_image else None
    mask = checked_image(context, "mask", options.mask) if options.mask else None
    if (
        init is not None
        and mask is not None
        and (mask.width, mask.height)
        != (
            init.width,
            init.height,
        )
    ):
        raise GenerationRejected(
            f"mask is {mask.width}x{mask.height} px but init_image is {init.width}x{init.height};"
            " they must have the same size",
            code="invalid_mask",
        )
    return CheckedInputs(init, mask)


def size_from_init_image(
    options: ImageOptions, inputs: CheckedInputs, width: int | None, height: int | None
) -> tuple[int | None, int | None]:
    """The job's size override: the request's, else (without ``resize``) the init image's
    rounded down to a multiple of 8."""
    init = inputs.init_image
    if width is not None or init is None or options.resize is not None:
        return width, height
    rounded = (init.width // SIZE_STEP * SIZE_STEP, init.height // SIZE_STEP * SIZE_STEP)
    if min(rounded) < MIN_SIZE:
        raise GenerationRejected(
            f"init_image is {init.width}x{init.height} px, under {MIN_SIZE} px a side; give "
            "width, height and resize to scale it",
            code="invalid_init_image",
        )
    return rounded


def with_inputs(
    spec: GenerationSpec, options: ImageOptions, inputs: CheckedInputs
) -> GenerationSpec:
    """The resolved spec starting from the checked init image and mask."""
    if inputs.init_image is None:
        return spec
    mask = inputs.mask
    return dataclasses.replace(
        spec,
        init_image=inputs.init_image.source,
        denoise=options.denoise if options.denoise is not None else DEFAULT_IMG2IMG_DENOISE,
        resize=options.resize,
        mask=mask.source if mask is not None else None,
        mask_blur=options.mask_blur if options.mask_blur is not None else DEFAULT_MASK_BLUR,
        mask_grow=options.mask_grow if options.mask_grow is not None else DEFAULT_MASK_GROW,
    )


def hires_size(spec: GenerationSpec) -> tuple[int, int] | None:
    """The hires pass's output size (None without one), as the engines compute it."""
    if spec.hires is None:
        return None
    scale = spec.hires.scale
    return (
        round(spec.width * scale / SIZE_STEP) * SIZE_STEP,
        round(spec.height * scale / SIZE_STEP) * SIZE_STEP,
    )


def hires_size_problem(spec: GenerationSpec, field: str = "hires.scale") -> str | None:
    """Why the hires pass's output is too large (naming `field`), or None."""
    size = hires_size(spec)
    if spec.hires is None or size is None or max(size) <= MAX_SIZE:
        return None
    return (
        f"{field} {spec.hires.scale:g} makes {spec.width}x{spec.height} into "
        f"{size[0]}x{size[1]} px; at most {MAX_SIZE} px a side"
    )


def hires_sampling_problem(spec: GenerationSpec, lists: Sequence[ModelLists]) -> str | None:
    """Why no backend offers the hires pass's own sampler or scheduler, or None."""
    if spec.hires is None:
        return None
    for label, name in (("sampler", spec.hires.sampler), ("scheduler", spec.hires.scheduler)):
        offered = [getattr(backend, f"{label}s") for backend in lists]
        if name is None or any(choices is None or name in choices for choices in offered):
            continue
        return f"hires.{label} {name!r} is not offered by any backend"
    return None
