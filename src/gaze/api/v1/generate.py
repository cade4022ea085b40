"""`POST /api/v1/generate/<slug>`: queue images of a preset."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import require_api_key
from gaze.api.errors import bad_request, not_found
from gaze.api.generate_body import REQUEST_SCHEMA, ensure_seed_range, parse_generate_body
from gaze.api.schemas import ERROR_RESPONSES, ErrorResponse, GenerateResponse
from gaze.generation.submit import (
    GenerationRejected,
    PresetNotFound,
    submit_preset_generation,
)
from gaze.runtime import Runtime

router = APIRouter(dependencies=[Depends(require_api_key)], tags=["generate"])


@router.post(
    "/generate/{preset_slug}",
    summary="Generate images from a preset",
    status_code=202,
    response_model=GenerateResponse,
    responses={
        202: {"description": "One queued job per image"},
        404: {"model": ErrorResponse, "description": "Preset slug not found"},
        **ERROR_RESPONSES,
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
                    },
                }
            },
        }
    },
)
async def generate(preset_slug: str, request: Request) -> JSONResponse:
    options = parse_generate_body(await request.body())
    if options.seed is not None:
        ensure_seed_range(options.seed, options.count)
    runtime: Runtime = request.app.state.runtime
    try:
        submission = await run_in_threadpool(
            submit_preset_generation, runtime, preset_slug, options
        )
    except PresetNotFound:
        raise not_found("preset_not_found", f"No preset with slug {preset_slug!r}.") from None
    except GenerationRejected as rejection:
        raise bad_request(rejection.code, rejection.message) from None
    return JSONResponse(
        {
            "jobs": [{"job_id": job_id, "status": "queued"} for job_id in submission.job_ids],
            "batch_id": submission.batch_id,
        },
        status_code=202,
    )
