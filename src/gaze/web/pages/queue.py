"""The queue: running and pending jobs with live progress, positions and ETAs; cancel one,
clear the pending ones, retry a finished one; recent finished and failed jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.jobs.kinds import RETRYABLE_KINDS
from gaze.jobs.rows import kinds_of_jobs, next_pending_jobs, seeds_of_jobs
from gaze.jobs.service import (
    cancel_job,
    clear_pending,
    jobs_json,
    list_jobs,
    queue_overview,
    retry_job,
)
from gaze.jobs.status import CANCELLED, DONE, FAILED, PROCESSING
from gaze.route_deps import RuntimeDep
from gaze.runtime import Runtime
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.page_errors import wants_json
from gaze.web.rendering import render, render_fragment
from gaze.web.service_errors import as_page_errors
from gaze.web.views.batch_groups import group_by_batch

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

PENDING_SHOWN = 100
FINISHED_SHOWN = 30


def queue_context(runtime: Runtime) -> dict[str, Any]:
    overview = queue_overview(runtime)
    running = list_jobs(runtime, status=PROCESSING, limit=50).jobs
    running.sort(key=lambda job: job.get("started_at") or "")
    pending = jobs_json(runtime, next_pending_jobs(runtime.database, PENDING_SHOWN))
    finished = list_jobs(runtime, status=[DONE, FAILED, CANCELLED], limit=FINISHED_SHOWN).jobs
    images = runtime.gallery_service().image_ids_of_jobs([job["id"] for job in finished])
    for index, job in enumerate(pending, start=1):
        job["position"] = job.get("queue_position") or index
    shown = [*running, *pending, *finished]
    shown_ids = [job["id"] for job in shown]
    seeds = seeds_of_jobs(runtime.database, shown_ids)
    kinds = kinds_of_jobs(runtime.database, shown_ids)
    for job in shown:
        job["seed"] = seeds.get(job["id"])
        job["retryable"] = kinds.get(job["id"]) in RETRYABLE_KINDS
    return {
        "active": "queue",
        "overview": overview,
        "running": group_by_batch(running),
        "pending": group_by_batch(pending),
        "pending_hidden": max(0, overview.pending - len(pending)),
        "finished": group_by_batch(finished),
        "finished_jobs": finished,
        "images": images,
    }


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    context = queue_context(runtime)
    if request.query_params.get("fragment"):
        return render_fragment(request, "queue/_lists.html", context)
    return render(request, "queue/index.html", context)


def _answer(request: Request, message: str, data: dict[str, Any]) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "message": message, **data})
    return redirect_with_notice("/queue", message)


@router.post("/queue/{job_id}/cancel", dependencies=[Depends(verify_csrf)])
def cancel(request: Request, job_id: str, runtime: RuntimeDep) -> Response:
    with as_page_errors():
        job = cancel_job(runtime, job_id)
    message = "Cancelled." if job.status == CANCELLED else "Stopping the job…"
    if job.status in (DONE, FAILED):
        message = f"The job had already {'finished' if job.status == DONE else 'failed'}."
    return _answer(request, message, {"status": job.status})


@router.post("/queue/clear", dependencies=[Depends(verify_csrf)])
def clear(request: Request, runtime: RuntimeDep) -> Response:
    count = clear_pending(runtime)
    return _answer(
        request,
        f"Cleared {count} pending job{'s' if count != 1 else ''}." if count else "Nothing pending.",
        {"cleared": count},
    )


@router.post("/queue/{job_id}/retry", dependencies=[Depends(verify_csrf)])
async def retry(request: Request, job_id: str, runtime: RuntimeDep) -> Response:
    with as_page_errors():
        submission = await run_in_threadpool(retry_job, runtime, job_id)
    return _answer(
        request,
        "Queued again.",
        {"jobs": [{"id": new_id, "status": "pending"} for new_id in submission.job_ids]},
    )
