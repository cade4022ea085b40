"""`/api/v1/<category>` for characters, looks, outfits, actions, styles, scenes and detailers:
list (filters, cursor pages), read, create, replace, merge-patch and delete resources; and
`/api/v1/wordlists` (`wordlist_routes`) beside them."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, create_model
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY, READ, principal_of
from gaze.api.errors import ApiError
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.api.v1.list_params import Cursor, Favourite, Limit, Nsfw, Q, TagParam
from gaze.api.v1.wordlist_routes import add_wordlist_routes
from gaze.library.json_input import parse_json_document
from gaze.library.listing import hidden_from, sfw_listing, tag_filter_from
from gaze.library.schema import CATEGORIES, resource_model_for
from gaze.library.service import with_warnings
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.route_deps import LibraryServiceDep, runtime_of

router = APIRouter()


class ResourceSummary(BaseModel):
    id: str = Field(examples=["aria_vale"])
    category: str = Field(examples=["characters"])
    slug: str = Field(examples=["aria_vale"])
    name: str = Field(examples=["Aria Vale"])
    tags: dict[str, str | list[str]] = Field(examples=[{"origin": "gaze examples"}])
    is_favourite: bool
    is_nsfw: bool
    cover: str | None = Field(description="Path relative to the media folder.")
    cover_url: str | None = Field(description="Where the cover is served, without auth.")


class ResourcePage(BaseModel):
    items: list[ResourceSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


async def _warned(request: Request, saved: dict[str, Any]) -> dict[str, Any]:
    """The saved document, with ``warnings`` when a LoRA file is on no backend or a prompt
    tag is an alias or unknown (then also ``tag_warnings``)."""
    runtime = runtime_of(request)
    lists = await run_in_threadpool(runtime.model_lists)
    vocabulary = TagVocabulary(runtime.database)
    return await run_in_threadpool(
        with_warnings, saved, lists, runtime.settings.loras_dir, vocabulary
    )


class TagWarning(BaseModel):
    field: str = Field(description="Where the tag is, e.g. `fields.look.main`.")
    tag: str = Field(description="The tag as written (weights stripped).")
    kind: Literal["alias", "unknown"]
    canonical: str | None = Field(None, description="For an alias: the tag it stands for.")
    suggestions: list[str] | None = Field(
        None, description="For an unknown tag: known tags that start like it."
    )


def _saved_model(model: type[BaseModel]) -> type[BaseModel]:
    """The answer to a write: the stored document, plus ``warnings`` when something in it
    will not work yet (a LoRA file no backend has)."""
    return create_model(
        f"{model.__name__}Saved",
        __base__=model,
        warnings=(
            list[str] | None,
            Field(None, description="What will not work yet; absent when nothing."),
        ),
        tag_warnings=(
            list[TagWarning] | None,
            Field(
                None,
                description="Prompt tags the imported tag vocabulary knows only as an alias, "
                "or not at all (the text is stored as sent); absent when none or no "
                "vocabulary was imported.",
            ),
        ),
    )


def _document_body(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
            },
        }
    }


MERGE_PATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A JSON merge patch (RFC 7396): the fields to change; null resets a "
        "field to its default. The id cannot change.",
        "content": {
            "application/json": {
                "schema": {"type": "object"},
                "example": {"is_favourite": True, "tags": {"mood": "calm"}},
            },
            "application/merge-patch+json": {"schema": {"type": "object"}},
        },
    }
}


def add_category_routes(category: str) -> None:
    """The six routes of one category, with its own operation ids and document schema."""
    model = resource_model_for(category)
    noun = category[:-1]
    saved = _saved_model(model)
    not_found: dict[int | str, dict[str, Any]] = {
        404: error_response(
            f"No {noun} with this id", f"{noun}_not_found", f"No {noun} with id 'x'."
        )
    }

    def list_resources(
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
        page = service.list(
            category,
            q=q,
            tags=tag_filter_from(tag),
            favourite=favourite,
            nsfw=nsfw,
            limit=limit,
            cursor=cursor,
        )
        return JSONResponse({"items": page.items, "next_cursor": page.next_cursor})

    def get_resource(
        resource_id: str, request: Request, service: LibraryServiceDep
    ) -> JSONResponse:
        document = service.get(category, resource_id)
        if document is None or hidden_from(document, principal_of(request).sfw_only):
            raise ApiError(404, f"{noun}_not_found", f"No {noun} with id {resource_id!r}.")
        return JSONResponse(document)

    async def create_resource(request: Request, service: LibraryServiceDep) -> JSONResponse:
        document = parse_json_document(await request.body())
        created = await run_in_threadpool(service.create, category, document)
        location = f"{request.url.path}/{quote(created['id'], safe='')}"
        return JSONResponse(
            await _warned(request, created), status_code=201, headers={"Location": location}
        )

    async def replace_resource(
        resource_id: str, request: Request, service: LibraryServiceDep
    ) -> JSONResponse:
        document = parse_json_document(await request.body())
        saved = await run_in_threadpool(service.replace, category, resource_id, document)
        return JSONResponse(await _warned(request, saved))

    async def patch_resource(
        resource_id: str, request: Request, service: LibraryServiceDep
    ) -> JSONResponse:
        changes = parse_json_document(await request.body())
        saved = await run_in_threadpool(service.patch, category, resource_id, changes)
        return JSONResponse(await _warned(request, saved))

    def delete_resource(resource_id: str, service: LibraryServiceDep) -> Response:
        service.delete(category, resource_id)
        return Response(status_code=204)

    tags: list[str | Enum] = [category]
    router.add_api_route(
        f"/{category}",
        list_resources,
        methods=["GET"],
        dependencies=[READ],
        summary=f"List {category}",
        operation_id=f"list_{category}",
        tags=tags,
        response_model=ResourcePage,
        responses=ERROR_RESPONSES,
    )
    router.add_api_route(
        f"/{category}",
        create_resource,
        methods=["POST"],
        dependencies=[LIBRARY],
        summary=f"Create a {noun}",
        operation_id=f"create_{noun}",
        tags=tags,
        status_code=201,
        responses={
            201: {"model": saved, "description": f"The {noun} as stored"},
            409: error_response(
                "The id (or its slug) is taken",
                "already_exists",
                f"A {noun} with id 'x' already exists.",
            ),
            **ERROR_RESPONSES,
            **BODY_ERROR_RESPONSES,
        },
        openapi_extra=_document_body(model.__name__, f"The {noun}'s document."),
    )
    router.add_api_route(
        f"/{category}/{{resource_id}}",
        get_resource,
        methods=["GET"],
        dependencies=[READ],
        summary=f"Get a {noun}",
        operation_id=f"get_{noun}",
        tags=tags,
        responses={200: {"model": model, "description": f"The {noun}"}, **not_found},
    )
    router.add_api_route(
        f"/{category}/{{resource_id}}",
        replace_resource,
        methods=["PUT"],
        dependencies=[LIBRARY],
        summary=f"Replace a {noun}",
        operation_id=f"replace_{noun}",
        tags=tags,
        responses={
            200: {"model": saved, "description": f"The {noun} as stored"},
            **not_found,
            **ERROR_RESPONSES,
            **BODY_ERROR_RESPONSES,
        },
        openapi_extra=_document_body(
            model.__name__, f"The {noun}'s new document (`id` may be left out)."
        ),
    )
    router.add_api_route(
        f"/{category}/{{resource_id}}",
        patch_resource,
        methods=["PATCH"],
        dependencies=[LIBRARY],
        summary=f"Change a {noun} (JSON merge patch)",
        operation_id=f"patch_{noun}",
        tags=tags,
        responses={
            200: {"model": saved, "description": f"The {noun} as stored"},
            **not_found,
            **ERROR_RESPONSES,
            **BODY_ERROR_RESPONSES,
        },
        openapi_extra=MERGE_PATCH_BODY,
    )
    router.add_api_route(
        f"/{category}/{{resource_id}}",
        delete_resource,
        methods=["DELETE"],
        dependencies=[LIBRARY],
        summary=f"Delete a {noun}",
        operation_id=f"delete_{noun}",
        tags=tags,
        status_code=204,
        response_class=Response,
        responses={
            204: {"description": "Deleted"},
            409: error_response(
                "Still used; the message names by whom",
                "in_use",
                f"The {noun} 'x' is used by preset 'p' (P); change or delete them first.",
            ),
            **not_found,
            **ERROR_RESPONSES,
        },
    )


for _category in CATEGORIES:
    add_category_routes(_category)

add_wordlist_routes(router, ResourcePage)
