"""Response shapes of the REST API, for validation and the OpenAPI document.

The guide's shapes (presets, generate's 202, a job) come first; GAZE's additions follow.
Routes answer with plain JSON built by the services; these models describe it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

JOB_ID_EXAMPLE = "783f0268-ba85-4426-8ca2-6393c844c887"
BATCH_ID_EXAMPLE = "5d0c3f53-2b0e-4a8e-9b59-8f3f5b1f2c11"


class PresetSummary(BaseModel):
    preset_id: str = Field(examples=["example_01"])
    slug: str = Field(examples=["example_01"])
    name: str = Field(examples=["Example Preset"])
    has_cover: bool


class PresetList(BaseModel):
    presets: list[PresetSummary]


class QueuedJob(BaseModel):
    job_id: str = Field(examples=[JOB_ID_EXAMPLE])
    status: str = Field(examples=["queued"])


class GenerateResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "jobs": [{"job_id": JOB_ID_EXAMPLE, "status": "queued"}],
                    "batch_id": BATCH_ID_EXAMPLE,
                }
            ]
        }
    )

    jobs: list[QueuedJob]
    batch_id: str = Field(
        examples=[BATCH_ID_EXAMPLE], description="The request's jobs, as a batch: /batch/<id>."
    )


class UploadedImage(BaseModel):
    """An uploaded image, stored as a PNG; `relative_path` is what `init_image` and `mask`
    take."""

    upload_id: str = Field(examples=["5f1c0e9a3d8b4c2e9f7a6b5c4d3e2f10"])
    relative_path: str = Field(examples=["inputs/5f1c0e9a3d8b4c2e9f7a6b5c4d3e2f10.png"])
    width: int = Field(examples=[832])
    height: int = Field(examples=[1216])


class JobResult(BaseModel):
    image_url: str = Field(examples=["/static/uploads/presets/example_01/gen_1773601346.png"])
    relative_path: str = Field(examples=["presets/example_01/gen_1773601346.png"])
    seed: int = Field(examples=[927640517599332])


GUIDE_JOB_EXAMPLE: dict[str, Any] = {
    "id": JOB_ID_EXAMPLE,
    "label": "Preset: Example Preset – preview",
    "status": "done",
    "error": None,
    "result": {
        "image_url": "/static/uploads/presets/example_01/gen_1773601346.png",
        "relative_path": "presets/example_01/gen_1773601346.png",
        "seed": 927640517599332,
    },
    "progress": 1.0,
    "queue_position": None,
    "eta_seconds": None,
    "preset": "example_01",
    "batch_id": BATCH_ID_EXAMPLE,
    "retry_of": None,
    "backend": "local",
    "cancel_requested": False,
    "created_at": "2026-03-15T19:02:20.412345Z",
    "started_at": "2026-03-15T19:02:21.001234Z",
    "finished_at": "2026-03-15T19:02:26.518000Z",
}

PENDING_JOB_EXAMPLE: dict[str, Any] = {
    **{key: value for key, value in GUIDE_JOB_EXAMPLE.items() if key != "result"},
    "status": "pending",
    "progress": 0.0,
    "queue_position": 2,
    "eta_seconds": 11.5,
    "backend": None,
    "started_at": None,
    "finished_at": None,
}


class JobStatus(BaseModel):
    """A job. The guide's fields first; `result` only when status is `done`."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [GUIDE_JOB_EXAMPLE, PENDING_JOB_EXAMPLE]}
    )

    id: str
    label: str
    status: str = Field(description="pending, processing, done, failed or cancelled")
    error: str | None
    result: JobResult | None = Field(None, description="Present only when status is done.")
    progress: float = Field(0.0, ge=0, le=1, description="Fraction of sampling done, 0 to 1.")
    queue_position: int | None = Field(
        None, ge=1, description="For pending jobs: 1 runs next. Null otherwise."
    )
    eta_seconds: float | None = Field(
        None,
        ge=0,
        description="For pending and running jobs: seconds until done, from recent job "
        "durations per backend and checkpoint. Null when unknown or finished.",
    )
    preset: str | None = Field(None, description="Slug of the preset it was generated from.")
    batch_id: str | None = Field(None, description="The generate request it belongs to.")
    retry_of: str | None = Field(None, description="The job this one retries.")
    backend: str | None = Field(
        None, description="`local` or a ComfyUI URL; set when the job starts running."
    )
    cancel_requested: bool = Field(False, description="A cancel was asked while it ran.")
    created_at: str | None = Field(None, description="ISO 8601, UTC.")
    started_at: str | None = None
    finished_at: str | None = None


class JobList(BaseModel):
    jobs: list[JobStatus] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class StatusCounts(BaseModel):
    pending: int
    processing: int
    done: int
    failed: int
    cancelled: int


class BatchStatus(BaseModel):
    batch_id: str = Field(examples=[BATCH_ID_EXAMPLE])
    status: str = Field(
        description="pending or processing while any job is active; then done, failed "
        "(any failed) or cancelled (all cancelled or failed, none done)."
    )
    total: int
    counts: StatusCounts
    jobs: list[JobStatus] = Field(description="In the order they were queued.")


class QueueOverview(BaseModel):
    pending: int = Field(description="Jobs waiting in the queue.")
    processing: int = Field(description="Jobs running on a backend.")


class WebhookAttempt(BaseModel):
    attempt: int
    at: str | None
    status_code: int | None
    error: str | None
    duration_ms: float


class WebhookDelivery(BaseModel):
    id: int
    event: str = Field(examples=["job.done"])
    event_id: int
    url: str
    status: str = Field(description="pending (will be retried), delivered or failed (gave up).")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    log: list[WebhookAttempt]


class WebhookDeliveries(BaseModel):
    deliveries: list[WebhookDelivery]


class JobEventBody(BaseModel):
    """A job event: the data of an SSE `job.*` event, and the body POSTed to webhooks."""

    id: int = Field(description="Grows with every event; the SSE id (`Last-Event-ID`).")
    type: str = Field(
        examples=["job.progress"],
        description="job.queued, job.started, job.progress, job.done, job.failed, job.cancelled",
    )
    created_at: str | None
    job: JobStatus = Field(description="The job as it was at this event.")


class EventSnapshot(BaseModel):
    """The data of the `snapshot` event sent first on a connection without Last-Event-ID."""

    jobs: list[JobStatus] = Field(
        description="The filtered job or batch, or without a filter every active job."
    )
    queue: QueueOverview


class ErrorResponse(BaseModel):
    error: str
    code: str


def error_response(description: str, code: str, message: str) -> dict[str, Any]:
    """One documented error status, with an example of its body."""
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"example": {"error": message, "code": code}}},
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_response("Invalid parameters", "invalid_request", "limit: must be at most 200"),
    401: error_response(
        "Missing API key", "missing_api_key", "Missing API key: send the X-API-Key header."
    ),
    403: error_response("Invalid API key", "invalid_api_key", "Invalid API key."),
    429: error_response(
        "Too many wrong API keys from this address",
        "too_many_failed_keys",
        "Too many wrong API keys from 127.0.0.1; try again in 42 s.",
    ),
    "4XX": error_response(
        "Any other client error (invalid parameters are 400, never 422)",
        "method_not_allowed",
        "Method Not Allowed",
    ),
    503: error_response(
        "The database or queue is unavailable",
        "store_unavailable",
        "The database or queue is unavailable right now; retry in a few seconds.",
    ),
}

BODY_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    408: error_response(
        "The request body was too slow", "request_timeout", "the request body took over 30 s"
    ),
    413: error_response(
        "The request body is too large", "payload_too_large", "request body is larger than 1024 KiB"
    ),
}

JOB_NOT_FOUND = error_response(
    "Job not found", "job_not_found", f"No job with id '{JOB_ID_EXAMPLE}'."
)
BATCH_NOT_FOUND = error_response(
    "Batch not found", "batch_not_found", f"No batch with id '{BATCH_ID_EXAMPLE}'."
)


def _first_job(operation_id: str, description: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "parameters": {"job_id": "$response.body#/jobs/0/job_id"},
        "description": description,
    }


QUEUED_JOB_LINKS: dict[str, Any] = {
    "GetFirstJob": _first_job("get_job", "Poll the first queued job."),
    "CancelFirstJob": _first_job("cancel_job", "Cancel the first queued job."),
    "RetryFirstJob": _first_job("retry_job", "Retry the first job once it finished."),
    "FirstJobWebhooks": _first_job("job_webhooks", "The first job's webhook deliveries."),
    "GetBatch": {
        "operationId": "get_batch",
        "parameters": {"batch_id": "$response.body#/batch_id"},
        "description": "The queued jobs as a batch.",
    },
    "CancelBatch": {
        "operationId": "cancel_batch",
        "parameters": {"batch_id": "$response.body#/batch_id"},
        "description": "Cancel every job of the request.",
    },
}
"""OpenAPI links from a 202 (generate, retry) to what can be done with its jobs."""


def _component_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema whose nested models point at the OpenAPI components."""
    schema = model.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    schema.pop("$defs", None)
    return schema


def _sse_item(event: dict[str, Any], data: dict[str, Any], with_id: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "event": event,
        "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data},
    }
    if with_id:
        properties["id"] = {"type": "string", "pattern": "^[0-9]+$"}
    return {"type": "object", "required": ["event", "data"], "properties": properties}


EVENT_STREAM_ITEM: dict[str, Any] = {
    "oneOf": [
        _sse_item({"const": "snapshot"}, _component_schema(EventSnapshot), with_id=False),
        _sse_item(
            {
                "enum": [
                    "job.queued",
                    "job.started",
                    "job.progress",
                    "job.done",
                    "job.failed",
                    "job.cancelled",
                ]
            },
            {"$ref": "#/components/schemas/JobEventBody"},
            with_id=True,
        ),
    ]
}
"""One server-sent event of GET /api/v1/events (OpenAPI 3.2 `itemSchema`)."""


EXAMPLES_WITH_NULLS: dict[str, list[dict[str, Any]]] = {
    "JobStatus": [GUIDE_JOB_EXAMPLE, PENDING_JOB_EXAMPLE],
}
"""FastAPI drops null values from the OpenAPI document, also inside examples; the guide's
job (`"error": null`) is put back as written."""


def install_openapi_examples(app: FastAPI) -> None:
    """Make /api/v1/openapi.json carry the examples exactly, nulls included."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.get("components", {}).get("schemas", {})
            for name, examples in EXAMPLES_WITH_NULLS.items():
                if name in schemas:
                    schemas[name]["examples"] = examples
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


class ResolvedLora(BaseModel):
    name: str = Field(examples=["styles/watercolor.safetensors"])
    model_weight: float
    clip_weight: float


class ResolvedPreset(BaseModel):
    preset_id: str = Field(examples=["example_01"])
    slug: str = Field(examples=["example_01"])
    seed: int = Field(description="The seed used (picked when the request gave none).")
    prompt: str
    negative: str
    loras: list[ResolvedLora]
    checkpoint: str = Field(examples=["gaze-demo-sd15-tiny.safetensors"])
    width: int
    height: int
    choices: dict[str, Any] = Field(
        description="What was picked: checkpoint and size (with their source) and, per "
        "category, the chosen resources with their fields and LoRA weights."
    )
    spec: dict[str, Any] = Field(description="The full generation spec a job would run.")
