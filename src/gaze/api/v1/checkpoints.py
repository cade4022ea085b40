"""`/api/v1/checkpoints` (the catalogue and per-checkpoint settings) and `/api/v1/loras`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY, READ
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.library.json_input import parse_json_document
from gaze.library.lora_listing import with_metadata
from gaze.library.schema import CheckpointSettings
from gaze.route_deps import BackendModelsDep, CatalogueDep, RuntimeDep

router = APIRouter(tags=["checkpoints"])


class CheckpointEntry(BaseModel):
    path: str = Field(examples=["Illustrious/model.safetensors"])
    name: str
    available: bool = Field(description="True when at least one backend has the file.")
    backends: list[str] = Field(examples=[["local"]], description="Backends having the file.")
    has_settings: bool = Field(description="False: the settings shown are the defaults.")
    base_model: Literal["sd1", "sdxl"]
    base_model_source: Literal["settings", "file", "default"] = Field(
        description="settings: stored; file: read from the local file's header; default: sd1."
    )
    settings: CheckpointSettings


class CheckpointList(BaseModel):
    checkpoints: list[CheckpointEntry]


class LoraFileMetadata(BaseModel):
    """What a LoRA file's safetensors header says (kohya ``ss_*`` and ``modelspec.*`` keys)."""

    base_model: str | None = Field(examples=["sdxl_base_v1-0"])
    family: Literal["sd1", "sd2", "sdxl", "sd3", "flux"] | None = Field(
        description="The model family of `base_model`, when GAZE knows it."
    )
    base_checkpoint: str | None = Field(description="The checkpoint it was trained on.")
    trigger_words: list[str] = Field(examples=[["watercolor style", "1girl"]])
    rank: int | None
    alpha: float | None
    title: str | None
    author: str | None
    description: str | None
    resolution: str | None = Field(examples=["1024x1024"])
    preview: str | None = Field(description="An embedded preview image, a `data:image/...` URL.")


class LoraEntry(BaseModel):
    path: str = Field(examples=["styles/watercolor.safetensors"])
    name: str
    backends: list[str]
    metadata: LoraFileMetadata | None = Field(
        default=None,
        description="From the embedded engine's local file; null when the file has none, "
        "or when only ComfyUI backends have it.",
    )


class LoraList(BaseModel):
    loras: list[LoraEntry]


SETTINGS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The checkpoint's settings (`path` may be left out).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CheckpointSettings"}}
        },
    }
}
MERGE_PATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A JSON merge patch (RFC 7396) over the current settings.",
        "content": {
            "application/json": {"schema": {"type": "object"}, "example": {"steps": 28}},
            "application/merge-patch+json": {"schema": {"type": "object"}},
        },
    }
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: error_response(
        "No backend has it and no settings are stored",
        "checkpoint_not_found",
        "No checkpoint 'x.safetensors': no backend has it and no settings are stored.",
    )
}


@router.get(
    "/checkpoints",
    dependencies=[READ],
    summary="List checkpoints",
    description="Every checkpoint a backend has, or that has stored settings, with its "
    "settings (stored, or the defaults of its base model).",
    response_model=CheckpointList,
    responses=ERROR_RESPONSES,
)
def list_checkpoints(service: CatalogueDep, found: BackendModelsDep) -> JSONResponse:
    return JSONResponse({"checkpoints": service.list(found)})


@router.get(
    "/checkpoints/{path:path}",
    dependencies=[READ],
    summary="Get a checkpoint",
    response_model=CheckpointEntry,
    responses={**NOT_FOUND, **ERROR_RESPONSES},
)
def get_checkpoint(path: str, service: CatalogueDep, found: BackendModelsDep) -> JSONResponse:
    return JSONResponse(service.get(path, found))


@router.put(
    "/checkpoints/{path:path}",
    dependencies=[LIBRARY],
    summary="Store a checkpoint's settings",
    response_model=CheckpointEntry,
    responses={**ERROR_RESPONSES, **BODY_ERROR_RESPONSES},
    openapi_extra=SETTINGS_BODY,
)
async def replace_checkpoint(
    path: str, request: Request, service: CatalogueDep, found: BackendModelsDep
) -> JSONResponse:
    document = parse_json_document(await request.body())
    return JSONResponse(await run_in_threadpool(service.replace, path, document, found))


@router.patch(
    "/checkpoints/{path:path}",
    dependencies=[LIBRARY],
    summary="Change a checkpoint's settings (JSON merge patch)",
    response_model=CheckpointEntry,
    responses={**NOT_FOUND, **ERROR_RESPONSES, **BODY_ERROR_RESPONSES},
    openapi_extra=MERGE_PATCH_BODY,
)
async def patch_checkpoint(
    path: str, request: Request, service: CatalogueDep, found: BackendModelsDep
) -> JSONResponse:
    changes = parse_json_document(await request.body())
    return JSONResponse(await run_in_threadpool(service.patch, path, changes, found))


@router.get(
    "/loras",
    dependencies=[READ],
    summary="List LoRAs",
    description="Every LoRA file a backend has.",
    response_model=LoraList,
    responses=ERROR_RESPONSES,
)
def list_loras(service: CatalogueDep, found: BackendModelsDep, runtime: RuntimeDep) -> JSONResponse:
    loras = with_metadata(service.loras(found), runtime.settings.loras_dir)
    return JSONResponse({"loras": loras})
