"""`POST /api/v1/<category>/draft`, `.../draft/tags` and `.../draft/improve`: ask the
configured LLM for a draft resource, tags for one field, or a better prompt text. Each runs as
a `draft` job in the queue; the answer is 202 with the job, or (with `wait`) the checked
result once it is ready. Nothing is saved: the client shows the draft for a person to accept.

The paths sit beside the library's; `POST` is the only method they take, so a resource whose
id is `draft` is still read, replaced, patched and deleted at `/<category>/draft`."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY
from gaze.api.errors import ApiError
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.library.schema import CATEGORIES
from gaze.library.text_rules import MAX_DESCRIPTION_LENGTH, MAX_ID_LENGTH, MAX_PROMPT_LENGTH
from gaze.llm.draft_submit import draft_outcome, submit_draft
from gaze.llm.drafting import DRAFT, IMPROVE, TAGS, DraftTask
from gaze.route_deps import LibraryServiceDep, RuntimeDep
from gaze.runtime import Runtime

router = APIRouter(tags=["drafts"])

MAX_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.1
FIELD_MAX_LENGTH = 241

WaitField = Field(
    0.0,
    ge=0,
    le=MAX_WAIT_SECONDS,
    description="Seconds to wait for the result: 200 with it when ready in time, else 202.",
)
WaitQuery = Annotated[
    float | None,
    Query(ge=0, le=MAX_WAIT_SECONDS, description="As the body's `wait`; the query wins."),
]


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(
        min_length=1,
        max_length=MAX_DESCRIPTION_LENGTH,
        description="What the resource should be, in plain words.",
        examples=["a cheerful red-haired knight in silver armour"],
    )
    base: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="Id of a resource of this category to start from.",
    )
    wait: float = WaitField


class FieldBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1,
        max_length=FIELD_MAX_LENGTH,
        description="The field, as `section::key`.",
        examples=["identity::hair"],
    )
    text: str = Field(
        min_length=1,
        max_length=MAX_PROMPT_LENGTH,
        description="The field's prompt text now (or, for tags, a description of it).",
    )
    wait: float = WaitField


class DraftQueued(BaseModel):
    job_id: str
    status: str = Field(examples=["queued"])
    status_url: str = Field(description="Poll it: `result` holds the draft once done.")


RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    **BODY_ERROR_RESPONSES,
    202: {"model": DraftQueued, "description": "Queued; poll `status_url`."},
    200: {"description": "Ready within `wait`: the job id and its checked result."},
    404: error_response("No base resource with this id", "character_not_found", "No character."),
    409: error_response("Cancelled while waiting", "draft_cancelled", "Draft job was cancelled."),
    502: error_response(
        "The LLM failed, or its answer stayed invalid after one retry (`llm_invalid_answer`)",
        "llm_invalid_answer",
        "Draft job 'x' failed: The LLM's answer is not a valid draft (also after one retry): "
        "name: Field required",
    ),
    503: error_response(
        "No LLM server is configured (`llm_not_configured`), or the database or queue is "
        "unavailable (`store_unavailable`)",
        "llm_not_configured",
        "No LLM server is configured: set GAZE_LLM_URL (and GAZE_LLM_MODEL) to an "
        "OpenAI-compatible server to draft with AI.",
    ),
}


async def _answer(runtime: Runtime, task: DraftTask, wait: float) -> JSONResponse:
    job_id = await run_in_threadpool(submit_draft, runtime, task)
    status_url = f"/api/v1/job/{job_id}"
    deadline = time.monotonic() + wait
    while wait > 0:
        outcome = await run_in_threadpool(draft_outcome, runtime, job_id)
        if outcome.result is not None:
            return JSONResponse({"job_id": job_id, "status_url": status_url, **outcome.result})
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
    body = {"job_id": job_id, "status": "queued", "status_url": status_url}
    return JSONResponse(body, status_code=202, headers={"Location": status_url})


Category = Annotated[
    str,
    PathParameter(
        pattern=f"^({'|'.join(CATEGORIES)})$",
        description="The library category: " + ", ".join(CATEGORIES) + ".",
    ),
]


@router.post(
    "/{category}/draft",
    dependencies=[LIBRARY],
    summary="Draft a resource with the LLM",
    operation_id="draft_resource",
    status_code=202,
    responses=RESPONSES,
)
async def draft_resource(
    category: Category,
    body: DraftBody,
    runtime: RuntimeDep,
    service: LibraryServiceDep,
    wait: WaitQuery = None,
) -> JSONResponse:
    """A new resource of the category drafted from `description` (starting from `base`)."""
    base = None
    if body.base is not None:
        base = await run_in_threadpool(service.get, category, body.base)
        if base is None:
            noun = category[:-1]
            raise ApiError(404, f"{noun}_not_found", f"No {noun} with id {body.base!r}.")
    task = DraftTask(DRAFT, category, description=body.description, base=base)
    return await _answer(runtime, task, body.wait if wait is None else wait)


@router.post(
    "/{category}/draft/tags",
    dependencies=[LIBRARY],
    summary="Suggest tags for one field with the LLM",
    operation_id="draft_tags",
    status_code=202,
    responses=RESPONSES,
)
async def suggest_tags(
    category: Category, body: FieldBody, runtime: RuntimeDep, wait: WaitQuery = None
) -> JSONResponse:
    """Prompt tags for the field `field`, from its text now or a description of it."""
    task = DraftTask(TAGS, category, field=body.field, text=body.text)
    return await _answer(runtime, task, body.wait if wait is None else wait)


@router.post(
    "/{category}/draft/improve",
    dependencies=[LIBRARY],
    summary="Improve one field's prompt with the LLM",
    operation_id="draft_improve",
    status_code=202,
    responses=RESPONSES,
)
async def improve_prompt(
    category: Category, body: FieldBody, runtime: RuntimeDep, wait: WaitQuery = None
) -> JSONResponse:
    """A clearer prompt text for the field `field`, keeping its meaning."""
    task = DraftTask(IMPROVE, category, field=body.field, text=body.text)
    return await _answer(runtime, task, body.wait if wait is None else wait)
