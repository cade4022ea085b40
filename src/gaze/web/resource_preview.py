"""Previews of a library resource: an unsaved preset that uses the resource (on a random or
chosen character), resolved and queued like any generation.

This composes the generation services (`resolve_preset`, `preflight_problem`,
`queue_new_jobs`); it belongs in `gaze.generation` once that offers queueing a preset
document that is not stored.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from gaze.engines.model_lists import preflight_problem
from gaze.generation.submit import GenerationRejected, Submission, queue_new_jobs, random_seed
from gaze.jobs.store import NewJob
from gaze.library.database_view import DatabaseLibrary
from gaze.library.schema import describe_errors, slug_from_id
from gaze.presets.resolve import Overrides, ResolutionError, resolve_preset
from gaze.presets.schema import Preset
from gaze.runtime import Runtime

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
        raise GenerationRejected("invalid_preview", "; ".join(describe_errors(error))) from None


def submit_resource_preview(
    runtime: Runtime,
    category: str,
    resource: dict[str, Any],
    *,
    character: str | None,
    checkpoint: str,
    seed: int | None,
) -> Submission:
    preset = preview_preset(category, resource, character, checkpoint)
    library = DatabaseLibrary(
        runtime.database, runtime.settings.resolved_models_dir / "checkpoints"
    )
    chosen_seed = seed if seed is not None else random_seed()
    try:
        resolution = resolve_preset(preset, library, Overrides(), chosen_seed)
    except ResolutionError as error:
        raise GenerationRejected("preview_unresolvable", str(error)) from None
    problem = preflight_problem(resolution.spec, runtime.model_lists())
    if problem:
        raise GenerationRejected("model_not_available", problem)
    batch_id = str(uuid.uuid4())
    job = NewJob(
        label=f"Preview: {resource['name']}",
        spec=resolution.spec,
        output_folder=f"previews/{category}/{slug_from_id(resource['id']) or 'resource'}",
        batch_id=batch_id,
        resolution=resolution.choices,
    )
    return queue_new_jobs(runtime, batch_id, [job])
