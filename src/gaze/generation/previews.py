"""Previews of a library resource: an unsaved preset that uses the resource (on a random or
chosen character), resolved and queued like any generation (safe-for-work for such a key)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from gaze.engines.model_lists import preflight_problem
from gaze.generation.job_plan import library_of
from gaze.generation_spec import random_seed
from gaze.jobs.context import JobContext
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected, Submission, queue_new_jobs
from gaze.library.fields import describe_errors, slug_from_id
from gaze.presets.resolve import Overrides, ResolutionError, resolve_preset
from gaze.presets.schema import Preset
from gaze.security.caller import current_caller

PREVIEW_ORIENTATION = "square"


def preview_preset(
    category: str, resource: dict[str, Any], character: str | None, checkpoint: str
) -> Preset:
    """A preset showing `resource`: fixed in its own slot, on a character unless it is one."""
    document: dict[str, Any] = {
        "id": f"preview_{slug_from_id(resource['id']) or 'resource'}",
        "name": f"Preview of {resource['name']}",
        "checkpoint": checkpoint,
        "orientation": PREVIEW_ORIENTATION,
        category: {"mode": "fixed", "id": resource["id"]},
    }
    if category != "characters":
        document["characters"] = (
            {"mode": "fixed", "id": character} if character else {"mode": "random"}
        )
    try:
        return Preset.model_validate(document)
    except ValidationError as error:
        raise GenerationRejected(
            "; ".join(describe_errors(error)), code="invalid_preview"
        ) from None


def submit_resource_preview(
    context: JobContext,
    category: str,
    resource: dict[str, Any],
    *,
    character: str | None,
    checkpoint: str,
    seed: int | None,
) -> Submission:
    preset = preview_preset(category, resource, character, checkpoint)
    chosen_seed = seed if seed is not None else random_seed()
    try:
        resolution = resolve_preset(
            preset,
            library_of(context),
            Overrides(),
            chosen_seed,
            sfw_only=current_caller().sfw_only,
        )
    except ResolutionError as error:
        raise GenerationRejected(str(error), code="preview_unresolvable") from None
    problem = preflight_problem(resolution.spec, context.model_lists())
    if problem:
        raise GenerationRejected(problem, code="model_not_available")
    batch_id = str(uuid.uuid4())
    job = NewJob(
        label=f"Preview: {resource['name']}",
        spec=resolution.spec,
        output_folder=f"previews/{category}/{slug_from_id(resource['id']) or 'resource'}",
        batch_id=batch_id,
        resolution=resolution.choices,
    )
    return queue_new_jobs(context, batch_id, [job])
