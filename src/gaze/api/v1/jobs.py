"""`GET /api/v1/job/<id>`: poll one job."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from gaze.api.auth import require_api_key
from gaze.api.errors import not_found
from gaze.api.schemas import ERROR_RESPONSES, ErrorResponse, JobStatus
from gaze.jobs.job_json import job_json
from gaze.runtime import Runtime

router = APIRouter(dependencies=[Depends(require_api_key)], tags=["jobs"])


@router.get(
    "/job/{job_id}",
    summary="Check job status",
    responses={
        200: {"model": JobStatus, "description": "The job; `result` only when done"},
        404: {"model": ErrorResponse, "description": "Job not found"},
        **ERROR_RESPONSES,
    },
)
def get_job(job_id: str, request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    job = runtime.jobs.get(job_id)
    if job is None:
        raise not_found("job_not_found", f"No job with id {job_id!r}.")
    return JSONResponse(job_json(job))
