"""`GET /api/v1/tags`: tags of the vocabulary that start with a prefix, for autocompletion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from gaze.api.auth import require_api_key
from gaze.api.schemas import ERROR_RESPONSES
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.route_deps import RuntimeDep

router = APIRouter(dependencies=[Depends(require_api_key)], tags=["tags"])

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
    summary="Complete a tag",
    response_model=TagList,
    response_model_exclude_none=True,
    responses=ERROR_RESPONSES,
)
def complete_tag(runtime: RuntimeDep, prefix: Prefix = "", limit: Limit = 20) -> dict[str, Any]:
    """Tags whose name or an alias starts with `prefix`, the most used first; each tag once."""
    matches = TagVocabulary(runtime.database).search(prefix, limit)
    return {"tags": [match.__dict__ for match in matches]}
