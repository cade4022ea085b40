"""``POST /ui/wildcards/preview``: a prompt field's wildcard spans and its expansion for a seed,
with the library's wordlists, for the editors' highlighting (``static/wildcards.js``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gaze.generation_spec import MAX_SEED
from gaze.library.database_view import DatabaseLibrary
from gaze.prompts.wildcard_preview import PREVIEW_STREAM, wildcard_preview
from gaze.route_deps import RuntimeDep
from gaze.web.csrf import verify_csrf
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.request_values import request_values

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

MAX_PREVIEW_TEXT = 20_000
MAX_STREAM_LENGTH = 300


def _bad(message: str) -> PageError:
    return PageError(400, message, code="invalid_preview")


def preview_arguments(values: dict[str, Any]) -> tuple[str, int, str]:
    """(text, seed, stream) of a preview request; PageError 400 naming what is wrong."""
    text = values.get("text")
    if not isinstance(text, str):
        raise _bad("text: send the prompt text as a string.")
    if len(text) > MAX_PREVIEW_TEXT:
        raise _bad(f"text: {len(text)} characters; the limit is {MAX_PREVIEW_TEXT}.")
    seed = values.get("seed")
    if isinstance(seed, str) and seed.strip().isdigit():
        seed = int(seed.strip())
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise _bad("seed: send a whole number from 0 to 2**64-1.")
    stream = values.get("stream") or PREVIEW_STREAM
    if (
        not isinstance(stream, str)
        or not stream.startswith("wildcards:")
        or len(stream) > MAX_STREAM_LENGTH
    ):
        raise _bad("stream: a name starting with 'wildcards:' (as 'wildcards:positive').")
    return text, seed, stream


@router.post("/ui/wildcards/preview", dependencies=[Depends(verify_csrf)])
async def preview(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """{text, seed, stream?} -> {text, spans, picks, error}; `error` names an unbalanced
    brace, an unknown wordlist..., and `text` is then null."""
    text, seed, stream = preview_arguments(await request_values(request))
    library = DatabaseLibrary(runtime.database)
    answer = await run_in_threadpool(wildcard_preview, text, seed, stream, library.wordlist)
    return JSONResponse(answer)
