"""Generating from a preset page: the live resolved prompt, queueing images (by script or by
a plain form), and the state of the jobs a page is waiting for."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.generation.options import GenerationOptions, parse_generation_options
from gaze.generation.submit import submit_preset_generation
from gaze.jobs.rows import job_rows
from gaze.jobs.service import jobs_json
from gaze.outside_json import InvalidJson, load_json
from gaze.route_deps import PresetServiceDep, RuntimeDep
from gaze.runtime import Runtime
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.service_errors import as_page_errors

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

MAX_WATCHED_JOBS = 200


@router.get("/ui/presets/{slug}/resolve")
def resolve(request: Request, slug: str, service: PresetServiceDep) -> JSONResponse:
    """What a generation with the panel's values would use (seed blank: a random one)."""
    with as_page_errors():
        wanted = _options(dict(request.query_params))
    overrides: dict[str, Any] = {
        "extra_positive": wanted.extra_positive,
        "extra_negative": wanted.extra_negative,
    }
    if wanted.checkpoint:
        overrides["checkpoint"] = wanted.checkpoint
    if wanted.width is not None and wanted.height is not None:
        overrides.update(width=wanted.width, height=wanted.height)
    with as_page_errors():
        resolution = service.resolve(slug, wanted.seed, overrides)
    return JSONResponse(resolution)


def _options(values: dict[str, Any]) -> GenerationOptions:
    """The generate panel's values; other fields a form carries (the CSRF token) are not
    options."""
    return parse_generation_options(values, from_form=True, strict=False)


def _submit(runtime: Runtime, slug: str, options: GenerationOptions) -> dict[str, Any]:
    with as_page_errors():
        submission = submit_preset_generation(runtime, slug, options)
    seeds = options.seeds()
    return {
        "batch_id": submission.batch_id,
        "jobs": [
            {"id": job_id, "status": "pending", "seed": seeds[index] if seeds else None}
            for index, job_id in enumerate(submission.job_ids)
        ],
    }


@router.post("/ui/presets/{slug}/generate", dependencies=[Depends(verify_csrf)])
async def generate_by_script(request: Request, slug: str, runtime: RuntimeDep) -> JSONResponse:
    try:
        body = load_json(await request.body())
    except InvalidJson:
        body = None
    if not isinstance(body, dict):
        return JSONResponse(
            {"error": "Send the generate panel's values as JSON.", "code": "invalid_json"}, 400
        )
    with as_page_errors():
        wanted = _options(body)
    return JSONResponse(await run_in_threadpool(_submit, runtime, slug, wanted), 202)


@router.post("/presets/{slug}/generate", dependencies=[Depends(verify_csrf)])
def generate_by_form(
    slug: str,
    runtime: RuntimeDep,
    count: str = Form("1"),
    seed: str = Form(""),
    checkpoint: str = Form(""),
    width: str = Form(""),
    height: str = Form(""),
    extra_positive: str = Form(""),
    extra_negative: str = Form(""),
) -> Response:
    """The generate panel without script: queue, then back to the preset page."""
    fields = {
        "count": count,
        "seed": seed,
        "checkpoint": checkpoint,
        "width": width,
        "height": height,
        "extra_positive": extra_positive,
        "extra_negative": extra_negative,
    }
    with as_page_errors():
        wanted = _options(fields)
    queued = _submit(runtime, slug, wanted)
    count_queued = len(queued["jobs"])
    return redirect_with_notice(
        f"/presets/{slug}",
        f"Queued {count_queued} image{'s' if count_queued != 1 else ''}: see the queue.",
    )


@router.get("/ui/jobs")
def jobs_state(runtime: RuntimeDep, ids: str = "") -> JSONResponse:
    """The jobs a page waits for (``ids`` comma-separated), with the image each made."""
    wanted = [job_id for job_id in ids.split(",") if job_id][:MAX_WATCHED_JOBS]
    answers = jobs_json(runtime, job_rows(runtime.database, wanted))
    images = runtime.gallery_service().images_of_jobs([answer["id"] for answer in answers])
    for answer in answers:
        facts = images.get(answer["id"]) or {}
        answer["image_id"] = facts.get("image_id")
        answer["picks"] = facts.get("picks", [])
    return JSONResponse({"jobs": answers})
