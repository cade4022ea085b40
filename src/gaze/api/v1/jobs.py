"""`/api/v1/job/<id>` (poll, cancel, retry, upscale, vary, inpaint, webhook log), `/api/v1/jobs` and
`/api/v1/queue`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import (
    GENERATE,
    READ,
    caller_with_scope,
    presented_key,
    principal_of,
    scope_checked_inline,
)
from gaze.api.generate_body import json_object_body
from gaze.api.schemas import (
    ERROR_RESPONSES,
    JOB_NOT_FOUND,
    QUEUED_JOB_LINKS,
    GenerateResponse,
    JobList,
    JobStatus,
    QueueOverview,
    WebhookDeliveries,
    error_response,
)
from gaze.api.v1.generate import QUEUE_FULL_RESPONSE
from gaze.generation.follow_ups import (
    UPSCALE_DEFAULTS,
    VARY_DENOISE,
    submit_inpaint,
    submit_upscale,
    submit_variation,
)
from gaze.generation.options import MAX_COUNT
from gaze.generation_spec import MAX_SEED
from gaze.jobs import service
from gaze.jobs.listing import DEFAULT_LIMIT, MAX_LIMIT
from gaze.jobs.live_answers import live_answers_of
from gaze.jobs.status import PROCESSING
from gaze.jobs.submission import Submission
from gaze.route_deps import RuntimeDep, runtime_of
from gaze.runtime import Runtime
from gaze.security import principal as scopes
from gaze.security.principal import Principal

router = APIRouter(tags=["jobs"])

CANCEL_WAIT_SECONDS = 2.0
"""How long cancel waits for a running job's worker to confirm, before answering."""


class StatusName(StrEnum):
    pending = "pending"
    processing = "processing"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


@router.get(
    "/job/{job_id}",
    summary="Check job status",
    operation_id="get_job",
    description="Poll this to track a job. The guide's fields (`id`, `label`, `status`, "
    "`error`, and `result` only when done) come first, then progress, queue position, "
    "ETA, timestamps, backend, preset, batch and retry links.",
    openapi_extra={"security": [{"APIKeyHeader": []}, {"APIKeyQuery": []}]},
    responses={
        200: {"model": JobStatus, "description": "The job; `result` only when done"},
        404: JOB_NOT_FOUND,
        **ERROR_RESPONSES,
    },
)
@scope_checked_inline(scopes.READ)
async def get_job(job_id: str, request: Request) -> Response:
    # the hot path of every polling client: no dependency resolution, the key checked
    # against the keys held in memory, a finished job answered from memory (gaze.api.fast_poll
    # answers those before the middleware; this route answers the rest alike)
    caller = await caller_with_scope(request, presented_key(request), scopes.READ)
    runtime = runtime_of(request)
    poller = runtime.jobs.poller
    finished = poller.finished(job_id)
    if finished is not None:
        if not caller.may_see_job_of(finished.owner_key_id):
            raise service.JobNotFound(job_id)
        return Response(finished.body, media_type="application/json")
    if poller.inline:
        polled = poller.poll_on_loop(job_id)
    else:
        # a database a round trip away: active jobs' answers from the status cache, which the
        # job events keep current (gaze.jobs.live_answers)
        answers = live_answers_of(runtime)
        live = answers.cached(job_id)
        if live is not None:
            if not caller.may_see_job_of(live.owner_key_id):
                raise service.JobNotFound(job_id)
            return Response(live.body, media_type="application/json")
        polled = await run_in_threadpool(poller.poll, job_id)
    if not polled.found or not caller.may_see_job_of(polled.owner_key_id):
        raise service.JobNotFound(job_id)
    if polled.finished_json is not None:
        return Response(polled.finished_json, media_type="application/json")
    if not poller.inline:
        live = await run_in_threadpool(answers.build, runtime, job_id)
        if not caller.may_see_job_of(live.owner_key_id):
            raise service.JobNotFound(job_id)
        return Response(live.body, media_type="application/json")
    return JSONResponse(await run_in_threadpool(_live_job, runtime, job_id, caller))


def _live_job(runtime: Runtime, job_id: str, caller: Principal) -> dict[str, Any]:
    return service.live_job_json(runtime, service.get_job(runtime, job_id, caller))


@router.get(
    "/jobs",
    summary="List jobs",
    operation_id="list_jobs",
    description="Newest first. Filter by status (repeat the parameter for several), preset "
    "slug and batch; page with `limit` and the `next_cursor` of the previous page.",
    dependencies=[READ],
    response_model=JobList,
    responses={200: {"description": "A page of jobs"}, **ERROR_RESPONSES},
)
def list_jobs(
    runtime: RuntimeDep,
    request: Request,
    status: Annotated[
        list[StatusName] | None, Query(description="Only jobs in this status.")
    ] = None,
    preset: Annotated[
        str | None, Query(max_length=200, description="Only jobs of this preset slug.")
    ] = None,
    batch_id: Annotated[
        str | None, Query(max_length=100, description="Only jobs of this batch.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Jobs per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`next_cursor` of the previous page.")
    ] = None,
) -> JSONResponse:
    page = service.list_jobs(
        runtime,
        status=[name.value for name in status] if status else None,
        preset=preset,
        batch_id=batch_id,
        limit=limit,
        cursor=cursor,
        viewer=principal_of(request),
    )
    return JSONResponse({"jobs": page.jobs, "next_cursor": page.next_cursor})


@router.post(
    "/job/{job_id}/cancel",
    summary="Cancel a job",
    operation_id="cancel_job",
    description="A pending job leaves the queue at once; a running one is interrupted on "
    "its backend and ends `cancelled` (the answer waits up to 2 s for that). Cancelling a "
    "finished job changes nothing and answers it as it is.",
    dependencies=[GENERATE],
    responses={
        200: {"model": JobStatus, "description": "The job after the cancel"},
        404: JOB_NOT_FOUND,
        **ERROR_RESPONSES,
    },
)
async def cancel_job(job_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    job = await run_in_threadpool(service.cancel_job, runtime, job_id, principal_of(request))
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    while job.status == PROCESSING and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        job = await run_in_threadpool(service.get_job, runtime, job_id)
    return JSONResponse(await run_in_threadpool(service.live_job_json, runtime, job))


@router.post(
    "/job/{job_id}/retry",
    summary="Retry a job",
    operation_id="retry_job",
    description="Queues a new job with the same resolved generation and seed (`retry_of` "
    "names the original), in a batch of its own. Answers like generate.",
    status_code=202,
    dependencies=[GENERATE],
    response_model=GenerateResponse,
    responses={
        202: {"description": "The new job, queued", "links": QUEUED_JOB_LINKS},
        404: JOB_NOT_FOUND,
        409: error_response(
            "The job is still pending or running",
            "job_active",
            "Job '783f0268-ba85-4426-8ca2-6393c844c887' is processing; only a finished job "
            "(done, failed or cancelled) can be retried. Cancel it first.",
        ),
        **ERROR_RESPONSES,
        429: QUEUE_FULL_RESPONSE,
    },
)
async def retry_job(job_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    submission = await run_in_threadpool(service.retry_job, runtime, job_id, principal_of(request))
    return JSONResponse(submission.to_json(), status_code=202)


JOB_NOT_DONE = error_response(
    "The job is not done (pending, running, failed or cancelled), or its image is gone",
    "job_not_done",
    "Job '783f0268-ba85-4426-8ca2-6393c844c887' is processing; only a done job can be upscaled.",
)


def _follow_up_responses(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        202: {"description": description, "links": QUEUED_JOB_LINKS},
        404: JOB_NOT_FOUND,
        409: JOB_NOT_DONE,
        **ERROR_RESPONSES,
        429: QUEUE_FULL_RESPONSE,
    }


def _own_follow_up(
    submit: Callable[[Runtime, str, dict[str, Any]], Submission],
    runtime: Runtime,
    job_id: str,
    body: dict[str, Any],
    caller: Principal,
) -> Submission:
    """A follow-up of a job the caller may see (404 for another key's job). An admin sees
    every job, so its request is checked first, as it always was (400 before 404)."""
    if not caller.is_admin:
        service.get_job(runtime, job_id, caller)
    return submit(runtime, job_id, body)


def _follow_up_body_schema(properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    return {"requestBody": {"required": False, "content": {"application/json": {"schema": schema}}}}


@router.post(
    "/job/{job_id}/upscale",
    summary="Upscale a done job's image",
    operation_id="upscale_job",
    description="A hires-style pass over the job's image as a new job: the image upscaled by "
    "`scale` with `upscaler` and sampled again at `denoise`, with the job's seed, prompt and "
    "settings. Answers like generate.",
    status_code=202,
    dependencies=[GENERATE],
    response_model=GenerateResponse,
    responses=_follow_up_responses("The upscale, queued"),
    openapi_extra=_follow_up_body_schema(
        {
            "scale": {
                "type": "number",
                "minimum": 1,
                "maximum": 4,
                "default": UPSCALE_DEFAULTS["scale"],
            },
            "upscaler": {
                "type": "string",
                "default": UPSCALE_DEFAULTS["upscaler"],
                "description": "As a hires pass's upscaler (a latent or pixel method, or an "
                "upscale model file).",
            },
            "denoise": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "default": UPSCALE_DEFAULTS["denoise"],
            },
        }
    ),
)
async def upscale_job(job_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    body = json_object_body(await request.body())
    submission = await run_in_threadpool(
        _own_follow_up, submit_upscale, runtime, job_id, body, principal_of(request)
    )
    return JSONResponse(submission.to_json(), status_code=202)


@router.post(
    "/job/{job_id}/vary",
    summary="Vary a done job's image",
    operation_id="vary_job",
    description="img2img from the job's image at `denoise` as new jobs, with a new random seed "
    "unless `seed` is given (`count` images get consecutive seeds). Answers like generate.",
    status_code=202,
    dependencies=[GENERATE],
    response_model=GenerateResponse,
    responses=_follow_up_responses("The variations, queued"),
    openapi_extra=_follow_up_body_schema(
        {
            "denoise": {"type": "number", "minimum": 0, "maximum": 1, "default": VARY_DENOISE},
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1},
        }
    ),
)
async def vary_job(job_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    body = json_object_body(await request.body())
    submission = await run_in_threadpool(
        _own_follow_up, submit_variation, runtime, job_id, body, principal_of(request)
    )
    return JSONResponse(submission.to_json(), status_code=202)


@router.post(
    "/job/{job_id}/inpaint",
    summary="Inpaint a done job's image",
    operation_id="inpaint_job",
    description="Redraws the job's image where `mask` (the `relative_path` of an uploaded "
    "black-and-white image of the same size; white = redraw) is white, as a new job at "
    "`denoise`, with the job's seed unless `seed` is given. Answers like generate.",
    status_code=202,
    dependencies=[GENERATE],
    response_model=GenerateResponse,
    responses=_follow_up_responses("The inpainting, queued"),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["mask"],
                        "properties": {
                            "mask": {"type": "string", "example": "inputs/0f3c.png"},
                            "denoise": {"type": "number", "minimum": 0, "maximum": 1},
                            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
                            "mask_blur": {"type": "integer", "minimum": 0, "maximum": 64},
                            "mask_grow": {"type": "integer", "minimum": 0, "maximum": 64},
                        },
                    }
                }
            },
        }
    },
)
async def inpaint_job(job_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    body = json_object_body(await request.body())
    submission = await run_in_threadpool(
        _own_follow_up, submit_inpaint, runtime, job_id, body, principal_of(request)
    )
    return JSONResponse(submission.to_json(), status_code=202)


@router.get(
    "/job/{job_id}/webhooks",
    summary="Webhook deliveries of a job",
    operation_id="job_webhooks",
    description="Every event POSTed (or to be POSTed) to the job's `webhook_url`, with each "
    "attempt's status code or error. Failed attempts are retried with exponential backoff.",
    dependencies=[READ],
    response_model=WebhookDeliveries,
    responses={200: {"description": "The delivery log"}, 404: JOB_NOT_FOUND, **ERROR_RESPONSES},
)
def job_webhooks(job_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    deliveries = service.webhook_deliveries(runtime, job_id, principal_of(request))
    return JSONResponse({"deliveries": deliveries})


@router.get(
    "/queue",
    summary="Queue overview",
    operation_id="queue_overview",
    dependencies=[READ],
    response_model=QueueOverview,
    responses={200: {"description": "How many jobs wait and run"}, **ERROR_RESPONSES},
)
def queue(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(service.queue_overview(runtime).to_json())
