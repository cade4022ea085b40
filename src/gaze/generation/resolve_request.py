"""Resolving without generating, from the same request a generation takes: a stored preset's
(`POST /api/v1/presets/<slug>/resolve`) or a recipe's (`POST /api/v1/resolve`). The body has
``seed`` and every generate field that changes the result (not count or the webhook), checked
by the one options parser, and the answer is what `plan_job` would queue for that seed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gaze.generation.job_plan import prepare_request, resolved_job
from gaze.generation.options import FIELDS, GenerationOptions, parse_generation_options
from gaze.generation.submit import JobTarget, recipe_target, stored_preset_target
from gaze.generation_spec import random_seed, seed_problem
from gaze.jobs.context import JobContext
from gaze.presets.service import OVERRIDE_FIELDS, overrides_from, resolution_answer
from gaze.service_errors import Invalid

NOT_RESOLVE_FIELDS = ("count", "webhook_url", "webhook_events")
RESOLVE_FIELDS = ("seed", *(name for name in FIELDS if name not in NOT_RESOLVE_FIELDS))


def parse_resolve_body(body: Any) -> tuple[int, GenerationOptions]:
    """The seed (picked when not given) and the options of a resolve request. The fields a
    resolve body always took keep their error codes (``invalid_overrides``, ``invalid_size``,
    ``invalid_seed``)."""
    if not isinstance(body, Mapping):
        raise Invalid(["(body): must be a JSON object"], code="invalid_request")
    values = dict(body)
    unknown = [f"{name}: unknown field" for name in values if name not in RESOLVE_FIELDS]
    if unknown:
        raise Invalid(unknown, code="invalid_overrides")
    seed = values.pop("seed", None)
    overrides_from({name: values[name] for name in OVERRIDE_FIELDS if name in values})
    if seed is None:
        seed = random_seed()
    problem = seed_problem(seed)
    if problem:
        raise Invalid([f"seed: {problem}"], code="invalid_seed")
    return seed, parse_generation_options(values)


def resolve_target(
    context: JobContext, target: JobTarget, seed: int, options: GenerationOptions
) -> dict[str, Any]:
    prepared = prepare_request(context, options)
    resolution = resolved_job(
        context,
        target.preset,
        prepared.overrides,
        seed,
        options,
        prepared.inputs,
        library=prepared.library,
    )
    preset = target.preset
    return resolution_answer(
        target.preset_id or preset.id, target.preset_slug or preset.slug, seed, resolution
    )


def resolve_stored_preset(context: JobContext, slug: str, body: Any) -> dict[str, Any]:
    """What generating the preset with this body would run, for the body's seed."""
    seed, options = parse_resolve_body(body)
    return resolve_target(context, stored_preset_target(context, slug), seed, options)


def resolve_recipe(context: JobContext, body: Any) -> dict[str, Any]:
    """What composing ``body["recipe"]`` with the rest of the body would run."""
    recipe, rest = split_recipe(body)
    seed, options = parse_resolve_body(rest)
    return resolve_target(context, recipe_target(context, recipe), seed, options)


def split_recipe(body: Any) -> tuple[Any, dict[str, Any]]:
    """The ``recipe`` of a compose body, and its other fields."""
    if not isinstance(body, Mapping):
        raise Invalid(["(body): must be a JSON object"], code="invalid_request")
    if "recipe" not in body:
        raise Invalid(["recipe: required (the preset fields to compose)"], code="missing_recipe")
    rest = dict(body)
    return rest.pop("recipe"), rest
