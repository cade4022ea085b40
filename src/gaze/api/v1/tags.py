"""`GET /api/v1/tags`: tags of the vocabulary that start with a prefix, for autocompletion; and
`POST /api/v1/tags/import`: a new vocabulary from a tag-autocomplete CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY, READ
from gaze.api.errors import ApiError
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES
from gaze.library.tag_import import MAX_TAG_CSV_BYTES, import_tag_bytes
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.route_deps import RuntimeDep

router = APIRouter(tags=["tags"])

MAX_TAG_LIMIT = 100


class TagBody(BaseModel):
    name: str = Field(description="The tag, or the alias that matched (see `alias_of`).")
    category: int = Field(description="The CSV's category number; -1 for a library-only tag.")
    post_count: int = Field(description="How often the tag is used; matches are ranked by it.")
    alias_of: str | None = Field(
        default=None, description="Present when `name` is an alias: the tag it stands for."
    )


class TagList(BaseModel):
    tags: list[TagBody]


Prefix = Annotated[
    str,
    Query(
        max_length=300,
        description="The start of a tag or alias, as prompts write it: case-insensitive, "
        "spaces and underscores alike.",
        examples=["blue e"],
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_TAG_LIMIT, description="At most this many tags.")]


@router.get(
    "/tags",
    dependencies=[READ],
    summary="Complete a tag",
    response_model=TagList,
    response_model_exclude_none=True,
    responses=ERROR_RESPONSES,
)
async def complete_tag(
    runtime: RuntimeDep, prefix: Prefix = "", limit: Limit = 20
) -> dict[str, Any]:
    """Tags whose name or an alias starts with `prefix`, the most used first; each tag once."""
    vocabulary = TagVocabulary(runtime.database)
    matches = vocabulary.search_without_waiting(prefix, limit)
    if matches is None:  # the index is (re)loaded or checked against the database
        matches = await run_in_threadpool(vocabulary.search, prefix, limit)
    return {"tags": [match.__dict__ for match in matches]}


class TagImportBody(BaseModel):
    imported: int = Field(description="Tags in the vocabulary now, the library's own included.")
    from_file: int = Field(description="Tags taken from the CSV.")
    problems: list[str] = Field(
        description="Bad lines, skipped: `line N: reason`.", examples=[["line 7: bad count"]]
    )


CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An A1111 tag-autocomplete CSV (UTF-8): "
        '`name,category,post_count,"alias1,alias2"` per line, a header line optional; '
        f"at most {MAX_TAG_CSV_BYTES // (1024 * 1024)} MiB.",
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": 'blonde_hair,0,5000,"blond hair"\nblue_eyes,0,8000,\n',
            }
        },
    }
}


@router.post(
    "/tags/import",
    dependencies=[LIBRARY],
    summary="Import a tag vocabulary",
    response_model=TagImportBody,
    responses={**ERROR_RESPONSES, **BODY_ERROR_RESPONSES},
    openapi_extra=CSV_BODY,
)
async def import_tags(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Replace the tag vocabulary with the CSV's tags plus every tag the library uses (as
    `gaze tags import` and the Settings page do); bad lines are listed and skipped."""
    data = await request.body()
    if not data.strip():
        raise ApiError(400, "missing_body", "Send the tag CSV as the request body.")
    if len(data) > MAX_TAG_CSV_BYTES:
        message = f"The tag CSV is over {MAX_TAG_CSV_BYTES // (1024 * 1024)} MiB."
        raise ApiError(413, "payload_too_large", message)
    imported = await run_in_threadpool(import_tag_bytes, runtime.database, data)
    return {
        "imported": imported.stored,
        "from_file": imported.from_file,
        "problems": imported.problems,
    }
