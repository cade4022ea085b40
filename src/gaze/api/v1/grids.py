"""`POST /api/v1/grids` and `GET /api/v1/grid/<id>`: X/Y/Z grids of a preset, and their
labelled sheets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import GENERATE, READ, principal_of
from gaze.api.generate_body import REQUEST_SCHEMA, json_object_body
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, QueuedJob, error_response
from gaze.grids.axes import AXIS_KINDS, MAX_CELLS
from gaze.grids.service import GridNotFound, GridService
from gaze.jobs import service as jobs_service
from gaze.route_deps import RuntimeDep
from gaze.security.principal import Principal

router = APIRouter(tags=["grids"])

GRID_ID_EXAMPLE = "0b8e6a52-6f3e-4f7e-9a53-2c1d8f0e4b7a"


class GridCreated(BaseModel):
    grid_id: str = Field(examples=[GRID_ID_EXAMPLE])
    batch_id: str = Field(description="The batch of the cells' jobs (GET /api/v1/batch/<id>).")
    jobs: list[QueuedJob] = Field(description="One queued job per cell, x fastest, then y, z.")


class GridProgress(BaseModel):
    total: int
    done: int
    failed: int
    cancelled: int
    pending: int = Field(description="Pending or processing.")


class GridCell(BaseModel):
    x: int
    y: int
    z: int
    labels: dict[str, str] = Field(examples=[{"x": "CFG: 7", "y": "Seed: 42"}])
    job_id: str
    status: str = Field(examples=["done"])
    width: int
    height: int
    image_url: str | None = Field(description="The cell's image once its job is done.")


class GridSheet(BaseModel):
    z: Any = Field(description="The z axis's value of this sheet; null without a z axis.")
    image_url: str = Field(examples=[f"/static/uploads/grids/{GRID_ID_EXAMPLE}_z0.png"])
    width: int = Field(description="The sheet's size in pixels.")
    height: int
    cells: dict[str, int] = Field(
        description="Where the cells are on the sheet: the cell at column x, row y spans "
        "left + x * width .. + width and top + y * height .. + height.",
        examples=[{"left": 80, "top": 40, "width": 512, "height": 512}],
    )


class GridStatus(BaseModel):
    grid_id: str
    batch_id: str
    status: str = Field(description="`running`, or `finished` once every cell has ended.")
    created_at: str
    preset: str | None = Field(description="The preset's slug; null for a recipe's grid.")
    recipe: dict[str, Any] | None = Field(description="The recipe of a recipe's grid.")
    sweep: dict[str, str] | None = Field(
        description="A strength sweep's resource: {category, id}; null for other grids."
    )
    seed: int = Field(description="The base seed of every cell without a seed axis.")
    progress: GridProgress
    axes: dict[str, dict[str, Any]]
    cells: list[GridCell]
    image_url: str | None = Field(description="The first sheet, once finished.")
    sheets: list[GridSheet] = Field(description="One labelled sheet per z value, once finished.")


AXIS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["axis", "values"],
    "properties": {
        "axis": {"type": "string", "enum": list(AXIS_KINDS)},
        "values": {"type": "array", "minItems": 1, "maxItems": MAX_CELLS},
        "lora": {"type": "string", "description": "lora_weight: the LoRA file it weighs."},
        "slot": {"type": "string", "description": "slot: the category (e.g. characters)."},
    },
    "description": 'seed, steps: integers; cfg, lora_weight: numbers; size: "512x768" or '
    "[512, 768]; checkpoint, sampler, scheduler: names a backend offers; slot: resource ids; "
    "prompt_sr: texts, the first one is found in the prompts and each value replaces it.",
}

GRID_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "preset": {
            "type": "string",
            "description": "The preset's slug (or give a recipe).",
            "example": "example_01",
        },
        "recipe": {
            "type": "object",
            "description": "A preset not saved, as POST /api/v1/generate takes it (instead of "
            "a preset).",
        },
        **{k: v for k, v in REQUEST_SCHEMA["properties"].items() if k != "count"},
        "x": AXIS_SCHEMA,
        "y": AXIS_SCHEMA,
        "z": AXIS_SCHEMA,
    },
}

GRID_NOT_FOUND = error_response(
    "Grid not found", "grid_not_found", f"No grid with id '{GRID_ID_EXAMPLE}'."
)


def _service(runtime: RuntimeDep) -> GridService:
    return GridService(runtime, runtime.settings.resolved_media_dir)


GridServiceDep = Annotated[GridService, Depends(_service)]


@router.post(
    "/grids",
    dependencies=[GENERATE],
    summary="Generate an X/Y/Z grid",
    operation_id="create_grid",
    description="Runs a preset (or a recipe) once per cell of up to three axes "
    f"(at most {MAX_CELLS} cells). "
    "Every cell is resolved and checked first: one bad cell refuses the grid (400, naming the "
    "axis and value) and nothing is queued.",
    status_code=202,
    response_model=GridCreated,
    responses={
        202: {"description": "The grid's id and its queued jobs"},
        404: error_response(
            "Preset slug not found", "preset_not_found", "No preset with slug 'example_99'."
        ),
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": GRID_REQUEST_SCHEMA,
                    "examples": {
                        "cfg by seed": {
                            "value": {
                                "preset": "example_01",
                                "seed": 42,
                                "x": {"axis": "cfg", "values": [4, 7, 10]},
                                "y": {"axis": "seed", "values": [1, 2]},
                            }
                        }
                    },
                }
            },
        }
    },
)
async def create_grid(request: Request, grids: GridServiceDep) -> JSONResponse:
    body = json_object_body(await request.body())
    created = await run_in_threadpool(grids.create, body)
    return JSONResponse(created.to_json(), status_code=202)


@router.get(
    "/grid/{grid_id}",
    dependencies=[READ],
    summary="Check a grid",
    operation_id="get_grid",
    description="Progress and cells; once every cell has ended, the labelled sheets (one per "
    "z value; failed and cancelled cells drawn as grey tiles).",
    response_model=GridStatus,
    responses={200: {"description": "The grid"}, 404: GRID_NOT_FOUND, **ERROR_RESPONSES},
)
async def get_grid(
    grid_id: Annotated[str, PathParameter(description="The grid's id.", max_length=64)],
    request: Request,
    grids: GridServiceDep,
) -> JSONResponse:
    caller = principal_of(request)
    return JSONResponse(await run_in_threadpool(_visible_grid, grids, grid_id, caller))


def _visible_grid(grids: GridService, grid_id: str, caller: Principal) -> dict[str, Any]:
    """The grid, when its jobs are the caller's (another key's grid is not found)."""
    grid = grids.read(grid_id)
    if not caller.is_admin:
        try:
            jobs_service.batch_rows(grids.context, grid["batch_id"], caller)
        except jobs_service.BatchNotFound:
            raise GridNotFound(grid_id) from None
    return grid
