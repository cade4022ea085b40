"""`/api/v1/keys` (admin scope): list, make, read, change and revoke named API keys.

A key's secret is answered once, by the POST that makes it; GAZE keeps only its hash. The
guide's default key is listed too (`"id": "default"`, read-only: Settings and
`gaze apikey regenerate` replace it). A change reaches this process at once and every other
API process within half a second (`KeyRegistry`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import ADMIN
from gaze.api.errors import ApiError, bad_request
from gaze.api.generate_body import json_object_body
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.route_deps import RuntimeDep
from gaze.runtime import Runtime
from gaze.security.key_overview import key_entries, key_entry
from gaze.security.named_keys import (
    KeyLimits,
    KeyProblem,
    checked_name,
    checked_scopes,
    create_named_key,
    revoke_named_key,
    update_named_key,
)
from gaze.security.principal import DEFAULT_KEY_ID, SCOPES

router = APIRouter(tags=["keys"])

KEY_ID_EXAMPLE = "0f6d3c2b8a9e4f7d9c1b2a3e4d5f6a7b"
CREATE_FIELDS = ("name", "scopes", "sfw_only", "daily_quota", "rate_per_minute", "high_priority")
CHANGEABLE_FIELDS = CREATE_FIELDS


class KeyBody(BaseModel):
    """An API key as stored; never its secret."""

    id: str = Field(examples=[KEY_ID_EXAMPLE], description='"default" for the guide\'s key.')
    name: str = Field(examples=["Kitchen display"])
    scopes: list[str] = Field(
        examples=[["read"]],
        description="read, generate, library, admin; admin implies every scope, generate and "
        "library imply read.",
    )
    sfw_only: bool = Field(description="Never picks, shows or accepts anything flagged NSFW.")
    daily_quota: int | None = Field(description="Images per 24 hours; null: no quota.")
    rate_per_minute: int | None = Field(description="Requests per minute; null: no limit.")
    high_priority: bool = Field(description='May ask for `"priority": "high"` on generate.')
    created_at: str | None = Field(description="ISO 8601, UTC.")
    last_used_at: str | None = Field(
        description="Written every few seconds by the processes that saw it; null: never used, "
        "or the default key (not counted)."
    )
    request_count: int | None = Field(description="API requests made with it; null: not counted.")
    job_count: int = Field(description="Jobs it queued.")
    revoked: bool
    revoked_at: str | None
    read_only: bool = Field(description="True for the default key: regenerate it in Settings.")


class NewKeyBody(KeyBody):
    key: str = Field(
        examples=["gz_6Q2v…"], description="The secret: shown only in this answer, never again."
    )


class KeyList(BaseModel):
    keys: list[KeyBody] = Field(description="The default key first, then named keys, oldest first.")


KEY_NOT_FOUND = error_response("No key with this id", "key_not_found", "No API key with id 'x'.")
DEFAULT_READ_ONLY = error_response(
    "The default key cannot be changed or revoked here",
    "default_key_read_only",
    "The default key is changed only by regenerating it (Settings or `gaze apikey regenerate`).",
)
KEY_REVOKED = error_response(
    "The key is revoked", "key_revoked", "The API key 'x' is revoked; make a new one."
)
FIELD_ERRORS = error_response(
    "A field is missing or wrong; the message names it",
    "invalid_field",
    "scopes: unknown scope 'write'; use read, generate, library, admin.",
)

KEY_FIELDS_SCHEMA: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "scopes": {"type": "array", "minItems": 1, "items": {"enum": list(SCOPES)}},
    "sfw_only": {"type": "boolean", "default": False},
    "daily_quota": {"type": ["integer", "null"], "minimum": 1, "maximum": 10_000_000},
    "rate_per_minute": {"type": ["integer", "null"], "minimum": 1, "maximum": 10_000_000},
    "high_priority": {"type": "boolean", "default": False},
}


def _body(description: str, required: list[str], example: dict[str, Any]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": KEY_FIELDS_SCHEMA,
    }
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema, "example": example}},
        }
    }


CREATE_BODY = _body(
    "The new key's name and scopes, and optionally its limits.",
    ["name", "scopes"],
    {"name": "Kitchen display", "scopes": ["read"], "sfw_only": True},
)
PATCH_BODY = _body(
    "The fields to change (a JSON merge patch); the others stay. null lifts a quota or rate.",
    [],
    {"daily_quota": 200, "scopes": ["generate"]},
)


def _refused_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(name for name in body if name not in allowed)
    if unknown:
        raise bad_request(
            "unknown_field",
            f"unknown field(s): {', '.join(unknown)}; a key's fields are {', '.join(allowed)}",
        )


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise KeyProblem(f"{name}: true or false.")
    return value


def _limits_of(body: dict[str, Any]) -> KeyLimits:
    quota, rate = body.get("daily_quota"), body.get("rate_per_minute")
    return KeyLimits(
        scopes=checked_scopes(body.get("scopes")),
        sfw_only=_flag(body, "sfw_only"),
        daily_quota=quota,  # checked by create_named_key
        rate_per_minute=rate,
        high_priority=_flag(body, "high_priority"),
    )


def _field_error(problem: KeyProblem) -> ApiError:
    return bad_request("invalid_field", str(problem))


def _found(runtime: Runtime, key_id: str) -> dict[str, Any]:
    entry = key_entry(runtime.database, key_id)
    if entry is None:
        raise ApiError(404, "key_not_found", f"No API key with id {key_id!r}.")
    return entry


def _not_default(key_id: str) -> None:
    if key_id == DEFAULT_KEY_ID:
        raise ApiError(
            409,
            "default_key_read_only",
            "The default key is changed only by regenerating it "
            "(Settings -> REST API Key, or `gaze apikey regenerate`).",
        )


@router.get(
    "/keys",
    summary="List API keys",
    operation_id="list_keys",
    description="Every key with its scopes, limits, last use and counts; never a secret.",
    dependencies=[ADMIN],
    response_model=KeyList,
    responses=ERROR_RESPONSES,
)
def list_keys(
    runtime: RuntimeDep,
    include_revoked: bool = Query(True, description="false leaves revoked keys out."),
) -> dict[str, Any]:
    return {"keys": key_entries(runtime.database, include_revoked=include_revoked)}


@router.post(
    "/keys",
    summary="Make a named API key",
    operation_id="create_key",
    description="The answer carries the new key's secret in `key`: the only time it is shown.",
    dependencies=[ADMIN],
    status_code=201,
    responses={
        201: {"model": NewKeyBody, "description": "The key, with its secret"},
        400: FIELD_ERRORS,
        **{status: answer for status, answer in ERROR_RESPONSES.items() if status != 400},
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=CREATE_BODY,
)
async def create_key(request: Request, runtime: RuntimeDep) -> JSONResponse:
    body = json_object_body(await request.body())
    _refused_fields(body, CREATE_FIELDS)
    try:
        name, limits = checked_name(body.get("name")), _limits_of(body)
        key, secret = await run_in_threadpool(create_named_key, runtime.database, name, limits)
    except KeyProblem as problem:
        raise _field_error(problem) from None
    runtime.keys.invalidate()
    answer = {**key.to_json(), "read_only": False, "key": secret}
    location = f"{request.url.path}/{key.id}"
    return JSONResponse(answer, status_code=201, headers={"Location": location})


@router.get(
    "/keys/{key_id}",
    summary="Get an API key",
    operation_id="get_key",
    dependencies=[ADMIN],
    response_model=KeyBody,
    responses={404: KEY_NOT_FOUND, **ERROR_RESPONSES},
)
def get_key(key_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    return _found(runtime, key_id)


@router.patch(
    "/keys/{key_id}",
    summary="Change an API key",
    operation_id="patch_key",
    description="Change its name, scopes or limits; the fields left out stay. Takes effect at "
    "once (other API processes within half a second).",
    dependencies=[ADMIN],
    response_model=KeyBody,
    responses={
        400: FIELD_ERRORS,
        404: KEY_NOT_FOUND,
        409: {**DEFAULT_READ_ONLY, "description": "The default key, or a revoked key"},
        **{status: answer for status, answer in ERROR_RESPONSES.items() if status != 400},
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=PATCH_BODY,
)
async def patch_key(key_id: str, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    body = json_object_body(await request.body())
    _refused_fields(body, CHANGEABLE_FIELDS)
    entry = await run_in_threadpool(_found, runtime, key_id)
    _not_default(key_id)
    if entry["revoked"]:
        raise ApiError(
            409, "key_revoked", f"The API key {entry['name']!r} is revoked; make a new one."
        )
    try:
        changed = await run_in_threadpool(update_named_key, runtime.database, key_id, body)
    except KeyProblem as problem:
        raise _field_error(problem) from None
    runtime.keys.invalidate()
    if changed is None:
        raise ApiError(404, "key_not_found", f"No API key with id {key_id!r}.")
    return {**changed.to_json(), "read_only": False}


@router.delete(
    "/keys/{key_id}",
    summary="Revoke an API key",
    operation_id="revoke_key",
    description="The key stops working at once (other API processes within half a second); "
    "it stays listed as revoked. A key may revoke itself.",
    dependencies=[ADMIN],
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "Revoked"},
        404: KEY_NOT_FOUND,
        409: DEFAULT_READ_ONLY,
        **ERROR_RESPONSES,
    },
)
def revoke_key(key_id: str, runtime: RuntimeDep) -> Response:
    _not_default(key_id)
    if not revoke_named_key(runtime.database, key_id):
        raise ApiError(404, "key_not_found", f"No API key with id {key_id!r}.")
    runtime.keys.invalidate()
    return Response(status_code=204)
