"""``GET /ui/tags``: tags of the vocabulary that start with a prefix, for the prompt fields'
completion (``static/tag_complete.js``). The UI's own twin of ``GET /api/v1/tags``: pages hold
a login session, not the API key."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gaze.library.tag_vocabulary import TagVocabulary
from gaze.route_deps import RuntimeDep
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

MAX_PREFIX_LENGTH = 300
MAX_LIMIT = 100
DEFAULT_LIMIT = 12


def _bad(message: str) -> PageError:
    return PageError(400, message, code="invalid_tag_query")


def completion_arguments(prefix: str, limit: str) -> tuple[str, int]:
    """(prefix, limit) of a completion request; PageError 400 naming what is wrong."""
    if len(prefix) > MAX_PREFIX_LENGTH:
        raise _bad(f"prefix: {len(prefix)} characters; the limit is {MAX_PREFIX_LENGTH}.")
    if not limit.strip().isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise _bad(f"limit: a whole number from 1 to {MAX_LIMIT}.")
    return prefix, int(limit)


@router.get("/ui/tags")
async def complete_tag(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """?prefix=&limit= -> {tags: [{name, category, post_count, alias_of?}]}, the most used
    first; answered on the event loop from a fresh index, else in a thread (the index is
    loaded or checked against the database)."""
    prefix, limit = completion_arguments(
        request.query_params.get("prefix", ""),
        request.query_params.get("limit", str(DEFAULT_LIMIT)),
    )
    vocabulary = TagVocabulary(runtime.database)
    matches = vocabulary.search_without_waiting(prefix, limit)
    if matches is None:
        matches = await run_in_threadpool(vocabulary.search, prefix, limit)
    tags = [
        {key: value for key, value in match.__dict__.items() if value is not None}
        for match in matches
    ]
    return JSONResponse({"tags": tags})
