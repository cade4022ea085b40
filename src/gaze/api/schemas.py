"""Response shapes of the guide's endpoints, for validation and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PresetSummary(BaseModel):
    preset_id: str = Field(examples=["example_01"])
    slug: str = Field(examples=["example_01"])
    name: str = Field(examples=["Example Preset"])
    has_cover: bool


class PresetList(BaseModel):
    presets: list[PresetSummary]


class QueuedJob(BaseModel):
    job_id: str = Field(examples=["783f0268-ba85-4426-8ca2-6393c844c887"])
    status: str = Field(examples=["queued"])


class GenerateResponse(BaseModel):
    jobs: list[QueuedJob]
    batch_id: str


class JobResult(BaseModel):
    image_url: str = Field(examples=["/static/uploads/presets/example_01/gen_1773601346.png"])
    relative_path: str = Field(examples=["presets/example_01/gen_1773601346.png"])
    seed: int = Field(examples=[927640517599332])


class JobStatus(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    label: str
    status: str = Field(description="pending, processing, done, failed or cancelled")
    error: str | None
    result: JobResult | None = Field(None, description="Present only when status is done.")


class ErrorResponse(BaseModel):
    error: str
    code: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid parameters"},
    401: {"model": ErrorResponse, "description": "Missing API key"},
    403: {"model": ErrorResponse, "description": "Invalid API key"},
}
