"""`/api/v1/batch/<id>`: the jobs of one generate request, and cancelling them together."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import GENERATE, READ, principal_of
from gaze.api.schemas import BATCH_NOT_FOUND, ERROR_RESPONSES, BatchStatus
from gaze.jobs import service
from gaze.route_deps import RuntimeDep

router = APIRouter(tags=["batches"])


@router.get(
    "/batch/{batch_id}",
    dependencies=[READ],
    summary="Check a batch",
    operation_id="get_batch",
    description="The jobs queued by one generate request (its `batch_id`), with counts.",
    response_model=BatchStatus,
    responses={200: {"description": "The batch"}, 404: BATCH_NOT_FOUND, **ERROR_RESPONSES},
)
def get_batch(batch_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    # a key that is not admin sees only its own jobs: another key's batch is not found
    return JSONResponse(service.batch_view(runtime, batch_id, principal_of(request)).to_json())


@router.post(
    "/batch/{batch_id}/cancel",
    dependencies=[GENERATE],
    summary="Cancel a batch",
    operation_id="cancel_batch",
    description="Cancels every pending and running job of the batch; finished ones stay as "
    "they are. Running jobs end `cancelled` once their backend stopped.",
    response_model=BatchStatus,
    responses={
        200: {"description": "The batch after the cancel"},
        404: BATCH_NOT_FOUND,
        **ERROR_RESPONSES,
    },
)
async def cancel_batch(batch_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    view = await run_in_threadpool(service.cancel_batch, runtime, batch_id, principal_of(request))
    return JSONResponse(view.to_json())
