"""`GET /api/v1/backends`: every backend and its state."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gaze.api.auth import READ
from gaze.api.schemas import ERROR_RESPONSES
from gaze.route_deps import RuntimeDep

router = APIRouter(tags=["backends"])


class BackendStateBody(BaseModel):
    name: str
    up: bool
    busy: bool
    current_checkpoint: str | None
    queue_remaining: int | None
    detail: str
    samplers: list[str] | None = Field(
        default=None,
        description="Sampler names (ComfyUI's) it runs; null until it has been reached.",
    )
    schedulers: list[str] | None = Field(
        default=None, description="Scheduler names (ComfyUI's) it runs; null as for samplers."
    )
    prompt_weightings: list[str] = Field(
        default_factory=list,
        description="How it weighs (word:1.2) emphasis: comfyui, a1111.",
    )


class BackendList(BaseModel):
    backends: list[BackendStateBody]


@router.get(
    "/backends",
    summary="List backends",
    response_model=BackendList,
    responses=ERROR_RESPONSES,
    dependencies=[READ],
)
def list_backends(runtime: RuntimeDep) -> dict[str, Any]:
    return {"backends": [asdict(state) for state in runtime.backend_states()]}
