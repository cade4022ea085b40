"""`/api/v1/images`: the gallery for programs — a filtered list newest first, the latest or a
random image (dashboards), one image, its favourite and NSFW flags, and deletion.

Reading needs the `read` scope; changing or deleting an image the `library` scope. A
safe-for-work key never sees an NSFW image (`gaze.gallery.visibility`): lists and picks leave
them out, and one asked for by id is answered 404 as if it did not exist.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import LIBRARY, READ, principal_of
from gaze.api.errors import ApiError, bad_request
from gaze.api.generate_body import json_object_body
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.events.timestamps import as_utc, iso_utc
from gaze.gallery.filters import GalleryFilter
from gaze.gallery.image_records import ImageRecord
from gaze.gallery.service import GalleryService
from gaze.media.storage import STATIC_URL_PREFIX
from gaze.media.thumbnails import thumbnail_urls
from gaze.route_deps import GalleryServiceDep

router = APIRouter(tags=["images"])

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_ROW_ID = 2**31 - 1
"""Image ids are 32-bit integers on PostgreSQL."""
PATCHABLE = ("favourite", "nsfw")
_CURSOR_PREFIX = "before:"


class ImagePreset(BaseModel):
    id: str = Field(examples=["example_01"])
    slug: str | None = Field(examples=["example_01"], description="Null once deleted.")
    name: str | None = Field(examples=["Example Preset"], description="Null once deleted.")


class ImageBody(BaseModel):
    id: int = Field(examples=[42])
    image_url: str = Field(
        examples=["/static/uploads/presets/example_01/gen_1773601346.png"],
        description="The full PNG, served without auth.",
    )
    relative_path: str = Field(examples=["presets/example_01/gen_1773601346.png"])
    thumbnails: dict[str, str] = Field(
        description="WebP thumbnails by width (128, 256, 512, 1024), served without auth.",
        examples=[
            {"256": "/static/thumbs/256/presets/example_01/gen_1773601346.png.webp"},
        ],
    )
    width: int
    height: int
    preset: ImagePreset | None = Field(description="Null for images made without a preset.")
    seed: int | None = Field(examples=[927640517599332])
    prompt: str = Field(description="The positive prompt it was generated with.")
    created_at: str | None = Field(description="ISO 8601, UTC.")
    favourite: bool
    nsfw: bool
    job_id: str | None = Field(description="The job that made it; /job/<id> while kept.")


class ImagePage(BaseModel):
    images: list[ImageBody] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class ImageFlags(BaseModel):
    favourite: bool | None = None
    nsfw: bool | None = None


IMAGE_NOT_FOUND = error_response(
    "No image with this id", "image_not_found", "No image 42 in the gallery."
)
NO_IMAGE = error_response(
    "No image matches the filters", "no_image", "No image matches these filters."
)

Preset = Annotated[
    str | None,
    Query(max_length=200, description="Only images of this preset (id or slug)."),
]
Character = Annotated[
    str | None,
    Query(max_length=128, description="Only images whose character slot picked this id."),
]
Favourite = Annotated[bool | None, Query(description="Only favourites (true) or the others.")]
Nsfw = Annotated[bool | None, Query(description="Only NSFW images (true) or the others.")]
Since = Annotated[
    datetime | None,
    Query(description="Only images made at or after this ISO 8601 moment (UTC if no offset)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Images per page.")]
Cursor = Annotated[
    str | None, Query(max_length=100, description="`next_cursor` of the previous page.")
]
ImageId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The image's id.")]


def image_json(record: ImageRecord) -> dict[str, Any]:
    card = record.card
    preset = None
    if card.preset_id:
        preset = {"id": card.preset_id, "slug": record.preset_slug, "name": record.preset_name}
    return {
        "id": card.id,
        "image_url": f"{STATIC_URL_PREFIX}/{card.relative_path}",
        "relative_path": card.relative_path,
        "thumbnails": thumbnail_urls(card.relative_path),
        "width": card.width,
        "height": card.height,
        "preset": preset,
        "seed": int(card.seed) if card.seed.isdigit() else None,
        "prompt": record.prompt,
        "created_at": iso_utc(card.created_at),
        "favourite": card.is_favourite,
        "nsfw": card.is_nsfw,
        "job_id": record.job_id,
    }


def _encode_cursor(before: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{before}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not (number.isascii() and number.isdigit()):
        raise bad_request(
            "invalid_cursor", f"cursor {cursor[:40]!r} is not one this server handed out"
        )
    return int(number)


def image_filter(
    request: Request,
    images: GalleryServiceDep,
    preset: Preset = None,
    character: Character = None,
    favourite: Favourite = None,
    nsfw: Nsfw = None,
    since: Since = None,
) -> GalleryFilter:
    """The gallery filter of the list, latest and random routes' query parameters."""
    try:
        since_utc = as_utc(since) if since is not None else None
    except OverflowError:
        raise bad_request("invalid_request", "since: out of range") from None
    selection = GalleryFilter(
        preset=images.preset_id_for(preset) if preset else "",
        resource=f"characters:{character}" if character else "",
        favourite=favourite,
        nsfw="all" if nsfw is None else ("only" if nsfw else "hide"),
        since=since_utc,
    )
    if principal_of(request).sfw_only:
        selection = images.safe_for_work(selection)
    return selection


Selection = Annotated[GalleryFilter, Depends(image_filter)]


def _one(images: GalleryService, image_id: int, sfw_only: bool = False) -> dict[str, Any]:
    detail = images.image(image_id)
    if detail is None or (sfw_only and not images.is_safe_for_work(image_id)):
        raise ApiError(404, "image_not_found", f"No image {image_id} in the gallery.")
    return image_json(
        ImageRecord(
            card=detail.card,
            preset_slug=detail.preset_slug,
            preset_name=detail.preset_name,
            prompt=str(detail.spec.get("positive") or ""),
            job_id=detail.job_id,
        )
    )


@router.get(
    "/images",
    summary="List images",
    operation_id="list_images",
    description="Gallery images newest first, with the fields a gallery needs (full image, "
    "thumbnails, preset, seed, prompt, flags). Filter by preset, character, favourite, "
    "NSFW and creation time; page with `limit` and the `next_cursor` of the previous page.",
    dependencies=[READ],
    response_model=ImagePage,
    responses={200: {"description": "A page of images"}, **ERROR_RESPONSES},
)
def list_images(
    images: GalleryServiceDep,
    selection: Selection,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    if cursor:
        selection = dataclasses.replace(selection, before=_decode_cursor(cursor))
    page = images.page(selection, limit)
    records = images.records(page.items)
    next_cursor = _encode_cursor(page.next_before) if page.next_before is not None else None
    return JSONResponse(
        {"images": [image_json(record) for record in records], "next_cursor": next_cursor}
    )


def _only(images: GalleryService, found: Any) -> JSONResponse:
    records = images.records([found]) if found is not None else []
    if not records:
        raise ApiError(404, "no_image", "No image matches these filters.")
    return JSONResponse(image_json(records[0]))


@router.get(
    "/images/latest",
    summary="The newest image",
    operation_id="latest_image",
    description="The newest image matching the filters (for dashboards); 404 when none.",
    dependencies=[READ],
    responses={
        200: {"model": ImageBody, "description": "The newest matching image"},
        404: NO_IMAGE,
        **ERROR_RESPONSES,
    },
)
def latest_image(images: GalleryServiceDep, selection: Selection) -> JSONResponse:
    page = images.page(selection, 1)
    return _only(images, page.items[0] if page.items else None)


@router.get(
    "/images/random",
    summary="A random image",
    operation_id="random_image",
    description="One of the images matching the filters, each as likely (for dashboards, "
    "e.g. `?preset=example_01&favourite=true`); 404 when none.",
    dependencies=[READ],
    responses={
        200: {"model": ImageBody, "description": "A matching image"},
        404: NO_IMAGE,
        **ERROR_RESPONSES,
    },
)
def random_image(images: GalleryServiceDep, selection: Selection) -> JSONResponse:
    return _only(images, images.random_image(selection))


@router.get(
    "/images/{image_id}",
    summary="Get an image",
    operation_id="get_image",
    dependencies=[READ],
    responses={
        200: {"model": ImageBody, "description": "The image"},
        404: IMAGE_NOT_FOUND,
        **ERROR_RESPONSES,
    },
)
def get_image(image_id: ImageId, request: Request, images: GalleryServiceDep) -> JSONResponse:
    return JSONResponse(_one(images, image_id, principal_of(request).sfw_only))


def parse_flags(raw: bytes) -> ImageFlags:
    """A JSON merge patch of the flags: `true`/`false`, `null` resets to false; any other
    field or value is a 400 naming it."""
    body = json_object_body(raw)
    unknown = sorted(key for key in body if key not in PATCHABLE)
    if unknown:
        raise bad_request(
            "unknown_field",
            f"unknown field(s): {', '.join(unknown)}; an image's changeable fields are "
            "favourite and nsfw",
        )
    for key, value in body.items():
        if value is not None and not isinstance(value, bool):
            raise bad_request("invalid_field", f"{key}: must be true, false or null")
    return ImageFlags(**{key: bool(value) for key, value in body.items()})


PATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A JSON merge patch (RFC 7396) of the flags; null resets one to false.",
        "content": {
            media_type: {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "favourite": {"type": ["boolean", "null"]},
                        "nsfw": {"type": ["boolean", "null"]},
                    },
                },
                "example": {"favourite": True},
            }
            for media_type in ("application/json", "application/merge-patch+json")
        },
    }
}


@router.patch(
    "/images/{image_id}",
    summary="Change an image's flags",
    operation_id="patch_image",
    description="Set `favourite` and/or `nsfw`; the answer is the image as stored.",
    dependencies=[LIBRARY],
    responses={
        200: {"model": ImageBody, "description": "The image as stored"},
        404: IMAGE_NOT_FOUND,
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=PATCH_BODY,
)
async def patch_image(
    image_id: ImageId, request: Request, images: GalleryServiceDep
) -> JSONResponse:
    flags = parse_flags(await request.body())
    if principal_of(request).sfw_only:
        await run_in_threadpool(_one, images, image_id, True)  # 404 for an NSFW image
    changed = await run_in_threadpool(images.set_flags, image_id, flags.favourite, flags.nsfw)
    if changed is None:
        raise ApiError(404, "image_not_found", f"No image {image_id} in the gallery.")
    return JSONResponse(await run_in_threadpool(_one, images, image_id))


@router.delete(
    "/images/{image_id}",
    summary="Delete an image",
    operation_id="delete_image",
    description="Removes the image from the gallery, its file and its thumbnails.",
    dependencies=[LIBRARY],
    status_code=204,
    responses={204: {"description": "Deleted"}, 404: IMAGE_NOT_FOUND, **ERROR_RESPONSES},
)
def delete_image(image_id: ImageId, request: Request, images: GalleryServiceDep) -> Response:
    if principal_of(request).sfw_only and not images.is_safe_for_work(image_id):
        raise ApiError(404, "image_not_found", f"No image {image_id} in the gallery.")
    if not images.delete(image_id):
        raise ApiError(404, "image_not_found", f"No image {image_id} in the gallery.")
    return Response(status_code=204)
