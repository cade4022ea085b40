"""`POST /api/v1/<category>/<id>/strength-sweep`: a grid of a resource's LoRA from the low end of
its weight to the high end, across a few seeds (answers like `POST /api/v1/grids`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import GENERATE
from gaze.api.generate_body import json_object_body
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.api.v1.grids import GridCreated
from gaze.grids.service import GridService
from gaze.grids.sweep import DEFAULT_SEEDS, DEFAULT_STEPS, MAX_SEEDS, MAX_STEPS, StrengthSweeps
from gaze.library.schema import CATEGORIES
from gaze.route_deps import RuntimeDep

router = APIRouter(tags=["grids"])

SWEEP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "seeds": {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_SEEDS},
                {"type": "array", "items": {"type": "integer"}, "maxItems": MAX_SEEDS},
            ],
            "description": f"A count of random seeds (default {DEFAULT_SEEDS}) or the seeds.",
        },
        "steps": {
            "type": "integer",
            "minimum": 2,
            "maximum": MAX_STEPS,
            "description": f"How many weights, from the LoRA's minimum to its maximum "
            f"(default {DEFAULT_STEPS}; a fixed weight w sweeps from 0 to max(1, w)).",
        },
        "checkpoint": {"type": "string", "description": "Default: the first a backend has."},
        "preset": {
            "type": "string",
            "description": "A preset slug whose other slots to keep; default none (the "
            "resource alone in its slot).",
        },
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "seed": {"type": "integer"},
        "extra_positive": {"type": "string"},
        "extra_negative": {"type": "string"},
    },
}


def _sweeper(category: str) -> Callable[..., Awaitable[JSONResponse]]:
    async def sweep(resource_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
        body = json_object_body(await request.body())
        sweeps = StrengthSweeps(GridService(runtime, runtime.settings.resolved_media_dir))
        created = await run_in_threadpool(sweeps.create, category, resource_id, body)
        return JSONResponse(created.to_json(), status_code=202)

    return sweep


for _category in CATEGORIES:
    router.add_api_route(
        f"/{_category}/{{resource_id}}/strength-sweep",
        _sweeper(_category),
        methods=["POST"],
        dependencies=[GENERATE],
        status_code=202,
        summary=f"Sweep a {_category[:-1]}'s LoRA strength",
        operation_id=f"strength_sweep_{_category[:-1]}",
        tags=[_category, "grids"],
        description="Makes a grid (GET /api/v1/grid/<id>): x is the LoRA's weight from its "
        "range's minimum to its maximum, y a few seeds. The grid is kept on the resource's page.",
        responses={
            202: {"model": GridCreated, "description": "The grid's id and its queued jobs"},
            404: error_response("No such resource", "style_not_found", "No style with id 'x'."),
            **ERROR_RESPONSES,
            **BODY_ERROR_RESPONSES,
        },
        openapi_extra={
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": SWEEP_SCHEMA}},
            }
        },
    )
