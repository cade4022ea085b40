"""`POST /api/v1/generate/<slug>`: queue images of a preset; `POST /api/v1/generate` with a
recipe: compose without a saved preset; `POST /api/v1/resolve`: what a recipe would run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import GENERATE, READ
from gaze.api.errors import bad_request
from gaze.api.generate_body import (
    COMPOSE_SCHEMA,
    RECIPE_RESOLVE_SCHEMA,
    REQUEST_SCHEMA,
    json_object_body,
    parse_generate_body,
)
from gaze.api.schemas import (
    BODY_ERROR_RESPONSES,
    ERROR_RESPONSES,
    QUEUED_JOB_LINKS,
    GenerateResponse,
    JobEventBody,
    ResolvedPreset,
    error_response,
)
from gaze.generation.options import parse_generation_options
from gaze.generation.resolve_request import resolve_recipe, split_recipe
from gaze.generation.submit import GenerateAnswer, compose_once, submit_once
from gaze.jobs.idempotency import MAX_KEY_LENGTH, key_problem
from gaze.route_deps import RuntimeDep

router = APIRouter(tags=["generate"])

QUEUE_FULL_RESPONSE = {
    **error_response(
        "Nothing was queued; try again after `Retry-After` seconds. `queue_full`: the queue "
        "is full; `daily_quota_exceeded`: the API key's images per day (any 24 hours) would be "
        "passed; `rate_limited`: the key's requests per minute are used up; "
        "`too_many_failed_keys`: too many wrong API keys came from this address",
        "daily_quota_exceeded",
        "The API key 'kitchen bot' may queue at most 100 images per day (any 24 hours); it "
        "queued 99 in the last 24 hours and this request adds 2. Nothing was queued. Try again "
        "in 5120 s.",
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
}

REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this answer replays an earlier request's.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}

QUEUEING_ERRORS = {
    409: error_response(
        "The Idempotency-Key was used with a different request, or its first request "
        "is still being processed",
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request; "
        "use a new key for a new request.",
    ),
    **ERROR_RESPONSES,
    **BODY_ERROR_RESPONSES,
    403: error_response(
        "Invalid API key (`invalid_api_key`), a key without the generate scope "
        '(`scope_required`), or `"priority": "high"` from a key not allowed it '
        "(`priority_not_allowed`)",
        "priority_not_allowed",
        'The API key \'kitchen bot\' may not ask for "priority": "high" (its high_priority '
        'setting is off); leave priority out or send "normal".',
    ),
    429: QUEUE_FULL_RESPONSE,
}
"""The answers besides 202 of a request that queues jobs (generate, compose)."""

webhook_callbacks = APIRouter()


@webhook_callbacks.post(
    "{$request.body#/webhook_url}",
    summary="Job event webhook",
    description="For each job event the request asked for (`webhook_events`), GAZE POSTs "
    "the event to `webhook_url`. Header `X-GAZE-Signature: t=<unix seconds>,v1=<hex>` where "
    "hex is HMAC-SHA256 with the webhook secret (Settings page) over `<t>.<raw body>`; "
    "`X-GAZE-Event` names the event, `X-GAZE-Delivery` the delivery. Any 2xx answer "
    "acknowledges it; anything else (or no answer within 10 s) is retried with exponential "
    "backoff, and every attempt shows in GET /api/v1/job/<id>/webhooks.",
    status_code=200,
    response_class=Response,
    responses={
        200: {"description": "Any 2xx acknowledges the event"},
        "default": {"description": "Anything else: the delivery is retried with backoff"},
    },
)
def job_event_webhook(
    event: JobEventBody,
    x_gaze_signature: Annotated[str, Header(alias="X-GAZE-Signature")],
    x_gaze_event: Annotated[str, Header(alias="X-GAZE-Event")],
) -> None:
    """Documentation only: receivers implement this."""


@router.post(
    "/generate/{preset_slug}",
    dependencies=[GENERATE],
    summary="Generate images from a preset",
    operation_id="generate",
    callbacks=webhook_callbacks.routes,
    status_code=202,
    response_model=GenerateResponse,
    responses={
        202: {
            "description": "One queued job per image. A replay of an earlier answer (same "
            "Idempotency-Key) carries the header `Idempotent-Replayed: true`.",
            "links": QUEUED_JOB_LINKS,
            "headers": REPLAYED_HEADER,
        },
        404: error_response(
            "Preset slug not found", "preset_not_found", "No preset with slug 'example_99'."
        ),
        **QUEUEING_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": REQUEST_SCHEMA,
                    "examples": {
                        "preset as it is": {"value": {}},
                        "three with extras": {
                            "value": {
                                "count": 3,
                                "extra_positive": "smiling, outdoors",
                                "extra_negative": "blurry",
                            }
                        },
                        "reproduce": {"value": {"seed": 927640517599332}},
                        "with a webhook": {
                            "value": {
                                "count": 2,
                                "webhook_url": "https://example.com/gaze-hook",
                                "webhook_events": ["job.done", "job.failed"],
                            }
                        },
                    },
                }
            },
        }
    },
)
async def generate(
    preset_slug: Annotated[
        str,
        PathParameter(
            description="Slug of the preset (GET /api/v1/presets lists them).",
            examples=["example_01"],
        ),
    ],
    request: Request,
    runtime: RuntimeDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Any unique string (e.g. a UUID). Repeating the request with the same "
            "key within 24 hours answers the first 202 again instead of queueing more images; "
            "the same key with a different body is a 409.",
            max_length=MAX_KEY_LENGTH,
        ),
    ] = None,
) -> JSONResponse:
    options = parse_generate_body(await request.body())
    if idempotency_key is not None and (problem := key_problem(idempotency_key)):
        raise bad_request("invalid_idempotency_key", problem)
    answer = await run_in_threadpool(submit_once, runtime, preset_slug, options, idempotency_key)
    return answered(answer)


def answered(answer: GenerateAnswer) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


COMPOSE_EXAMPLES = {
    "a fixed character in a random outfit": {
        "value": {
            "recipe": {
                "slots": {"characters": "aria_vale", "outfits": {"mode": "random"}},
                "checkpoint": "gaze-demo-sd15-tiny.safetensors",
            },
            "count": 2,
        }
    }
}


@router.post(
    "/generate",
    dependencies=[GENERATE],
    summary="Generate images from a recipe (compose without a saved preset)",
    description="The recipe has the fields of a preset (no id or name needed; slots take "
    "the shorthand: a string fixes the slot, null turns it off); every generate field may be "
    "given beside it. Jobs are labelled `Composed: <the fixed slots' names>` (or `Composed: "
    "random`) and their images filed under `composed/`.",
    operation_id="compose",
    callbacks=webhook_callbacks.routes,
    status_code=202,
    response_model=GenerateResponse,
    responses={
        202: {
            "description": "One queued job per image (`Idempotent-Replayed: true` on a replay).",
            "links": QUEUED_JOB_LINKS,
            "headers": REPLAYED_HEADER,
        },
        **QUEUEING_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": COMPOSE_SCHEMA, "examples": COMPOSE_EXAMPLES}
            },
        }
    },
)
async def compose(
    request: Request,
    runtime: RuntimeDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="As for generating from a preset: the same key and body within 24 "
            "hours replays the first answer.",
            max_length=MAX_KEY_LENGTH,
        ),
    ] = None,
) -> JSONResponse:
    recipe, rest = split_recipe(json_object_body(await request.body()))
    options = parse_generation_options(rest)
    if idempotency_key is not None and (problem := key_problem(idempotency_key)):
        raise bad_request("invalid_idempotency_key", problem)
    answer = await run_in_threadpool(compose_once, runtime, recipe, options, idempotency_key)
    return answered(answer)


@router.post(
    "/resolve",
    dependencies=[READ],
    summary="Resolve a recipe without generating",
    description="What composing the recipe with these fields would run for the seed (picked "
    "when not given), answered as a preset's resolve (preset_id and slug are the recipe's, "
    "`composed` unless it names an id).",
    operation_id="resolve_recipe",
    responses={
        200: {"model": ResolvedPreset, "description": "The resolved generation"},
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": RECIPE_RESOLVE_SCHEMA,
                    "examples": {
                        "a recipe at a seed": {
                            "value": {
                                "recipe": {
                                    "slots": {"characters": "aria_vale"},
                                    "checkpoint": "gaze-demo-sd15-tiny.safetensors",
                                },
                                "seed": 927640517599332,
                            }
                        }
                    },
                }
            },
        }
    },
)
async def resolve_a_recipe(request: Request, runtime: RuntimeDep) -> JSONResponse:
    body = json_object_body(await request.body())
    return JSONResponse(await run_in_threadpool(resolve_recipe, runtime, body))
