"""`POST /api/v1/<category>/<id>/move`: move a resource to another category (with
the presets that use it), or with ``dry_run`` say what moving would do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.library.json_input import parse_json_document
from gaze.library.schema import CATEGORIES
from gaze.presets.resource_move import MoveRequest, move_resource
from gaze.route_deps import RuntimeDep

router = APIRouter(tags=["library"])


class MoveBody(BaseModel):
    to: str = Field(examples=["looks"], description="The category to move the resource to.")
    update_presets: bool = Field(
        False, description="Move it in the presets that use it too (else they refuse the move)."
    )
    dry_run: bool = Field(False, description="Only say what would happen; change nothing.")
    new_id: str | None = Field(
        None, description="Its id in the target category; null keeps the id."
    )


class PresetUpdated(BaseModel):
    id: str
    slug: str
    name: str
    changes: list[str] = Field(examples=[["outfits: fixed 'rain_coat' taken out, the slot is off"]])


class MoveAnswer(BaseModel):
    category: str = Field(examples=["looks"], description="Where the resource is now.")
    resource: dict[str, Any] = Field(description="The moved resource, as the library shows it.")
    kept: list[str] = Field(examples=[["outfit::top", "name", "lora"]])
    dropped: list[str] = Field(
        examples=[["prompt_tags"]], description="What the target category has no place for."
    )
    presets_updated: list[PresetUpdated]
    dry_run: bool


def _mover(category: str) -> Callable[..., Awaitable[JSONResponse]]:
    async def move(resource_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
        body = parse_json_document(await request.body())
        wanted = MoveRequest.from_json(category, resource_id, body)
        outcome = await run_in_threadpool(move_resource, runtime.database, wanted)
        return JSONResponse(outcome.as_json())

    return move


for _category in CATEGORIES:
    router.add_api_route(
        f"/{_category}/{{resource_id}}/move",
        _mover(_category),
        methods=["POST"],
        dependencies=[LIBRARY],
        summary=f"Move a {_category[:-1]} to another category",
        operation_id=f"move_{_category[:-1]}",
        tags=[_category],
        description="Keeps the fields the target category has, reports what it drops, and "
        "with `update_presets` moves it in the presets that use it too. One transaction: "
        "nothing is half-moved. With `dry_run` it only answers what would happen.",
        responses={
            200: {"model": MoveAnswer, "description": "Moved (or, in a dry run, what would be)"},
            404: error_response("No such resource", "outfit_not_found", "No outfit with id 'x'."),
            409: error_response(
                "Presets or wardrobes use it, or the target has the id",
                "used_by_presets",
                "The outfit 'x' is used by preset 'p' (P); move it with update_presets to "
                "change them too, or change them first.",
            ),
            **ERROR_RESPONSES,
            **BODY_ERROR_RESPONSES,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": MoveBody.model_json_schema()}},
            }
        },
    )
