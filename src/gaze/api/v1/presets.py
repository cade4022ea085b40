"""`/api/v1/presets`: the guide's list, plus reading, writing and resolving presets."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY, READ, principal_of
from gaze.api.errors import ApiError
from gaze.api.generate_body import PRESET_RESOLVE_SCHEMA, RECIPE_SCHEMA
from gaze.api.schemas import (
    BODY_ERROR_RESPONSES,
    ERROR_RESPONSES,
    PresetList,
    ResolvedPreset,
    error_response,
)
from gaze.generation.resolve_request import resolve_stored_preset
from gaze.generation_spec import MAX_SEED
from gaze.library.json_input import parse_json_document
from gaze.library.listing import MAX_LIMIT, hidden_from, sfw_listing, tag_filter_from
from gaze.presets.recipe import preset_from_recipe
from gaze.presets.schema import Preset
from gaze.route_deps import PresetServiceDep, RuntimeDep
from gaze.service_errors import Invalid

router = APIRouter(tags=["presets"])


class PresetListing(PresetList):
    next_cursor: str | None = Field(
        None,
        description="Only when `limit` or `cursor` is given: pass it as `cursor` for the next "
        "page; null on the last page.",
    )


RESOLVE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    **PRESET_RESOLVE_SCHEMA,
                    "properties": {
                        "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
                        **PRESET_RESOLVE_SCHEMA["properties"],
                    },
                },
                "examples": {
                    "a random seed": {"value": {}},
                    "a fixed seed": {"value": {"seed": 927640517599332}},
                    "another character, no scene": {
                        "value": {
                            "seed": 927640517599332,
                            "slots": {"characters": "mira_holt", "scenes": None},
                        }
                    },
                },
            }
        },
    }
}
FROM_RECIPE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["recipe", "name"],
                    "properties": {
                        "recipe": RECIPE_SCHEMA,
                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "id": {
                            "type": "string",
                            "description": "The new preset's id; default: made from the name.",
                        },
                    },
                },
                "example": {
                    "recipe": {
                        "slots": {"characters": "aria_vale", "outfits": "rain_jacket"},
                        "checkpoint": "gaze-demo-sd15-tiny.safetensors",
                    },
                    "name": "Aria in the rain",
                },
            }
        },
    }
}
PRESET_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Preset"}}},
    }
}
MERGE_PATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A JSON merge patch (RFC 7396): the fields to change; null resets a "
        "field to its default. The id cannot change.",
        "content": {
            "application/json": {"schema": {"type": "object"}, "example": {"is_favourite": True}},
            "application/merge-patch+json": {"schema": {"type": "object"}},
        },
    }
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: error_response(
        "No preset with this slug", "preset_not_found", "No preset with slug 'example_09'."
    )
}


@router.get(
    "/presets",
    dependencies=[READ],
    summary="List presets",
    description="Every preset, favourites first, then by name. With `limit` or `cursor` the "
    "list comes a page at a time and `next_cursor` is added beside `presets`.",
    responses={200: {"model": PresetListing, "description": "The presets"}, **ERROR_RESPONSES},
)
def list_presets(
    request: Request,
    service: PresetServiceDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Case-insensitive search in names and ids.")
    ] = None,
    tag: Annotated[list[str], Query(description="`key:value`, repeatable.")] = [],  # noqa: B006
    favourite: Annotated[bool | None, Query(description="Only favourites, or others.")] = None,
    nsfw: Annotated[bool | None, Query(description="Only NSFW presets, or others.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the last page.")] = None,
) -> JSONResponse:
    paged = limit is not None or cursor is not None
    nsfw, listable = sfw_listing(nsfw, principal_of(request).sfw_only)
    if not listable:
        return JSONResponse({"presets": [], "next_cursor": None} if paged else {"presets": []})
    page = service.cards(
        q=q,
        tags=tag_filter_from(tag),
        favourite=favourite,
        nsfw=nsfw,
        limit=(limit or 50) if paged else None,
        cursor=cursor,
    )
    body: dict[str, Any] = {"presets": page.items}
    if paged:
        body["next_cursor"] = page.next_cursor
    return JSONResponse(body)


def created_preset_responses(example_id: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a route that stores a new preset."""
    return {
        201: {"model": Preset, "description": "The preset as stored"},
        409: error_response(
            "The id (or its slug) is taken",
            "already_exists",
            f"A preset with id '{example_id}' already exists.",
        ),
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    }


def created_preset_answer(created: dict[str, Any], collection_path: str) -> JSONResponse:
    location = f"{collection_path}/{quote(created['slug'], safe='')}"
    return JSONResponse(created, status_code=201, headers={"Location": location})


@router.post(
    "/presets",
    dependencies=[LIBRARY],
    summary="Create a preset",
    status_code=201,
    responses=created_preset_responses("example_01"),
    openapi_extra=PRESET_BODY,
)
async def create_preset(request: Request, service: PresetServiceDep) -> JSONResponse:
    document = parse_json_document(await request.body())
    created = await run_in_threadpool(service.create, document)
    return created_preset_answer(created, request.url.path)


@router.get(
    "/presets/{slug}",
    dependencies=[READ],
    summary="Get a preset",
    responses={200: {"model": Preset, "description": "The preset"}, **NOT_FOUND},
)
def get_preset(slug: str, request: Request, service: PresetServiceDep) -> JSONResponse:
    document = service.get(slug)
    if document is None or hidden_from(document, principal_of(request).sfw_only):
        raise ApiError(404, "preset_not_found", f"No preset with slug {slug!r}.")
    return JSONResponse(document)


@router.put(
    "/presets/{slug}",
    dependencies=[LIBRARY],
    summary="Replace a preset",
    responses={
        200: {"model": Preset, "description": "The preset as stored"},
        **NOT_FOUND,
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=PRESET_BODY,
)
async def replace_preset(slug: str, request: Request, service: PresetServiceDep) -> JSONResponse:
    document = parse_json_document(await request.body())
    return JSONResponse(await run_in_threadpool(service.replace, slug, document))


@router.patch(
    "/presets/{slug}",
    dependencies=[LIBRARY],
    summary="Change a preset (JSON merge patch)",
    responses={
        200: {"model": Preset, "description": "The preset as stored"},
        **NOT_FOUND,
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=MERGE_PATCH_BODY,
)
async def patch_preset(slug: str, request: Request, service: PresetServiceDep) -> JSONResponse:
    changes = parse_json_document(await request.body())
    return JSONResponse(await run_in_threadpool(service.patch, slug, changes))


@router.delete(
    "/presets/{slug}",
    dependencies=[LIBRARY],
    summary="Delete a preset",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Deleted"}, **NOT_FOUND, **ERROR_RESPONSES},
)
def delete_preset(slug: str, service: PresetServiceDep) -> Response:
    service.delete(slug)
    return Response(status_code=204)


@router.post(
    "/presets/{slug}/resolve",
    dependencies=[READ],
    summary="Resolve a preset without generating",
    description="What one generation would use: the prompt, negative prompt, LoRAs, size, "
    "checkpoint and every random choice. The same seed always gives the same answer.",
    responses={
        200: {"model": ResolvedPreset, "description": "The resolved generation"},
        **NOT_FOUND,
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=RESOLVE_BODY,
)
async def resolve_preset(
    slug: str, request: Request, service: PresetServiceDep, runtime: RuntimeDep
) -> JSONResponse:
    body = parse_json_document(await request.body(), required=False)
    return JSONResponse(await run_in_threadpool(resolve_stored_preset, runtime, slug, body))


@router.post(
    "/presets/from-recipe",
    dependencies=[LIBRARY],
    summary="Save a recipe as a preset",
    description="One call from a composed recipe (as `POST /api/v1/generate` takes it) to a "
    "stored preset: the slot shorthand is expanded, `name` names it and `id` (default: made "
    "from the name) identifies it.",
    status_code=201,
    responses=created_preset_responses("aria_in_the_rain"),
    openapi_extra=FROM_RECIPE_BODY,
)
async def create_preset_from_recipe(request: Request, service: PresetServiceDep) -> JSONResponse:
    body = parse_json_document(await request.body())
    if not isinstance(body, dict):
        raise Invalid(["(body): must be a JSON object"], code="invalid_request")
    unknown = [f"{name}: unknown field" for name in body if name not in ("recipe", "name", "id")]
    if unknown or "recipe" not in body or "name" not in body:
        missing = [f"{name}: required" for name in ("recipe", "name") if name not in body]
        raise Invalid(unknown + missing, code="invalid_request")
    document = preset_from_recipe(body["recipe"], body["name"], body.get("id"))
    created = await run_in_threadpool(service.create, document)
    return created_preset_answer(created, request.url.path.removesuffix("/from-recipe"))
