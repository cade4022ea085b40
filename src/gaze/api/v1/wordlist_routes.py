"""`/api/v1/wordlists`: the wordlists prompt wildcards pick from (``__id__``): list, read,
create, replace (a JSON document, or ``text/plain`` lines: a ``.txt`` import), merge-patch
and delete. Ids may hold ``/`` (``colors/warm``), so the id is the rest of the path."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY, READ, principal_of
from gaze.api.errors import ApiError
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.api.v1.list_params import Cursor, Favourite, Limit, Nsfw, Q, TagParam
from gaze.library.listing import hidden_from, sfw_listing, tag_filter_from
from gaze.library.wordlist_schema import Wordlist
from gaze.library.wordlists import json_body
from gaze.route_deps import LibraryServiceDep

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: error_response(
        "No wordlist with this id", "wordlist_not_found", "No wordlist with id 'x'."
    )
}
NameParam = Annotated[
    str | None,
    Query(max_length=120, description="With text/plain: the name of a new wordlist."),
]
PUT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The wordlist's new document (`id` may be left out), or its lines as "
        "text/plain (one entry per line; creates the wordlist when it does not exist).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Wordlist"}},
            "text/plain": {"schema": {"type": "string"}, "example": "red\nblue\n# a comment"},
        },
    }
}


def _is_text(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == "text/plain"


def add_wordlist_routes(router: APIRouter, page_model: Any) -> None:
    """Add the wordlist routes to `router`; lists answer with `page_model` (a page of
    resource summaries)."""

    def list_wordlists(
        request: Request,
        service: LibraryServiceDep,
        q: Q = None,
        tag: TagParam = [],  # noqa: B006 - FastAPI copies query defaults
        favourite: Favourite = None,
        nsfw: Nsfw = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> JSONResponse:
        nsfw, listable = sfw_listing(nsfw, principal_of(request).sfw_only)
        if not listable:
            return JSONResponse({"items": [], "next_cursor": None})
        page = service.wordlists().list(
            q=q,
            tags=tag_filter_from(tag),
            favourite=favourite,
            nsfw=nsfw,
            limit=limit,
            cursor=cursor,
        )
        return JSONResponse({"items": page.items, "next_cursor": page.next_cursor})

    def get_wordlist(
        wordlist_id: str, request: Request, service: LibraryServiceDep
    ) -> JSONResponse:
        document = service.wordlists().get(wordlist_id)
        if document is None or hidden_from(document, principal_of(request).sfw_only):
            raise ApiError(404, "wordlist_not_found", f"No wordlist with id {wordlist_id!r}.")
        return JSONResponse(document)

    async def create_wordlist(request: Request, service: LibraryServiceDep) -> JSONResponse:
        document = json_body(await request.body())
        created = await run_in_threadpool(service.wordlists().create, document)
        location = f"{request.url.path}/{quote(created['id'], safe='/')}"
        return JSONResponse(created, status_code=201, headers={"Location": location})

    async def replace_wordlist(
        wordlist_id: str, request: Request, service: LibraryServiceDep, name: NameParam = None
    ) -> JSONResponse:
        raw = await request.body()
        collection = service.wordlists()
        if _is_text(request):
            saved, created = await run_in_threadpool(collection.import_text, wordlist_id, raw, name)
            return JSONResponse(saved, status_code=201 if created else 200)
        saved = await run_in_threadpool(collection.replace, wordlist_id, json_body(raw))
        return JSONResponse(saved)

    async def patch_wordlist(
        wordlist_id: str, request: Request, service: LibraryServiceDep
    ) -> JSONResponse:
        changes = json_body(await request.body())
        saved = await run_in_threadpool(service.wordlists().patch, wordlist_id, changes)
        return JSONResponse(saved)

    def delete_wordlist(wordlist_id: str, service: LibraryServiceDep) -> Response:
        service.wordlists().delete(wordlist_id)
        return Response(status_code=204)

    tags: list[Any] = ["wordlists"]
    stored: dict[int | str, dict[str, Any]] = {
        200: {"model": Wordlist, "description": "The wordlist as stored"}
    }
    one = "/wordlists/{wordlist_id:path}"
    router.add_api_route(
        "/wordlists",
        list_wordlists,
        methods=["GET"],
        dependencies=[READ],
        summary="List wordlists",
        operation_id="list_wordlists",
        tags=tags,
        response_model=page_model,
        responses=ERROR_RESPONSES,
    )
    router.add_api_route(
        "/wordlists",
        create_wordlist,
        methods=["POST"],
        dependencies=[LIBRARY],
        summary="Create a wordlist",
        operation_id="create_wordlist",
        tags=tags,
        status_code=201,
        responses={
            201: {"model": Wordlist, "description": "The wordlist as stored"},
            409: error_response(
                "The id (or its slug) is taken",
                "already_exists",
                "A wordlist with id 'x' already exists.",
            ),
            **ERROR_RESPONSES,
            **BODY_ERROR_RESPONSES,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "The wordlist's document.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Wordlist"}}
                },
            }
        },
    )
    router.add_api_route(
        one,
        get_wordlist,
        methods=["GET"],
        dependencies=[READ],
        summary="Get a wordlist",
        operation_id="get_wordlist",
        tags=tags,
        responses={200: {"model": Wordlist, "description": "The wordlist"}, **NOT_FOUND},
    )
    router.add_api_route(
        one,
        replace_wordlist,
        methods=["PUT"],
        dependencies=[LIBRARY],
        summary="Replace a wordlist, or import its lines from a .txt file",
        operation_id="replace_wordlist",
        tags=tags,
        responses={
            **stored,
            201: {"model": Wordlist, "description": "Created from text/plain lines"},
            **NOT_FOUND,
            **ERROR_RESPONSES,
            **BODY_ERROR_RESPONSES,
        },
        openapi_extra=PUT_BODY,
    )
    router.add_api_route(
        one,
        patch_wordlist,
        methods=["PATCH"],
        dependencies=[LIBRARY],
        summary="Change a wordlist (JSON merge patch)",
        operation_id="patch_wordlist",
        tags=tags,
        responses={**stored, **NOT_FOUND, **ERROR_RESPONSES, **BODY_ERROR_RESPONSES},
    )
    router.add_api_route(
        one,
        delete_wordlist,
        methods=["DELETE"],
        dependencies=[LIBRARY],
        summary="Delete a wordlist",
        operation_id="delete_wordlist",
        tags=tags,
        status_code=204,
        response_class=Response,
        responses={204: {"description": "Deleted"}, **NOT_FOUND, **ERROR_RESPONSES},
    )
