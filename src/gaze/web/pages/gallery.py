"""The gallery: every generated image, newest first, with filters, a lightbox (fed by
/ui/images/<id>) and the image actions: favourite, NSFW, reproduce, vary, cover, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.gallery.detail import ImageDetail
from gaze.gallery.filters import GalleryFilter
from gaze.generation.options import GenerationOptions
from gaze.generation.submit import PresetNotFound, submit_preset_generation
from gaze.jobs.service import JobNotFound, retry_job
from gaze.library.schema import CATEGORIES
from gaze.route_deps import GalleryServiceDep, LibraryServiceDep, PresetServiceDep, RuntimeDep
from gaze.runtime import Runtime
from gaze.web.csrf import verify_csrf
from gaze.web.gallery_answers import action_answer, gallery_image, queued_answer
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.pages.image_refine import given, vary_from_image
from gaze.web.rendering import render, render_fragment
from gaze.web.request_values import request_values, truthy
from gaze.web.row_ids import row_id_or_none
from gaze.web.service_errors import as_page_errors
from gaze.web.views.image_details import image_details

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


def gallery_filter(request: Request) -> GalleryFilter:
    params = request.query_params
    before = params.get("before", "")
    nsfw = params.get("nsfw", "all")
    return GalleryFilter(
        preset=params.get("preset", "")[:200],
        resource=params.get("resource", "")[:300],
        checkpoint=params.get("checkpoint", "")[:500],
        favourites=params.get("fav") in ("1", "true", "on"),
        nsfw=nsfw if nsfw in ("all", "hide", "only") else "all",
        before=row_id_or_none(before),
    )


@router.get("/gallery", response_class=HTMLResponse)
def gallery(request: Request, images: GalleryServiceDep) -> HTMLResponse:
    selection = gallery_filter(request)
    page = images.page(selection)
    context: dict[str, Any] = {
        "active": "gallery",
        "images": page.items,
        "next_before": page.next_before,
        "filters": selection,
    }
    if request.query_params.get("fragment"):
        return render_fragment(request, "gallery/_fragment.html", context)
    context["options"] = images.options(selection)
    return render(request, "gallery/index.html", context)


@router.get("/gallery/{image_id:row_id}", response_class=HTMLResponse)
def image_page(request: Request, image_id: int, images: GalleryServiceDep) -> HTMLResponse:
    """One image with its details and actions: the lightbox without script."""
    detail = gallery_image(images, image_id)
    return render(
        request,
        "gallery/image.html",
        {"active": "gallery", "image": image_details(detail)},
    )


@router.get("/ui/images/{image_id:row_id}")
def image_json(image_id: int, images: GalleryServiceDep) -> JSONResponse:
    return JSONResponse(image_details(gallery_image(images, image_id)))


@router.post("/gallery/{image_id:row_id}/flags", dependencies=[Depends(verify_csrf)])
async def image_flags(request: Request, image_id: int, images: GalleryServiceDep) -> Response:
    """``favourite`` and/or ``nsfw``: true/false ("1"/"0" from forms)."""
    values = await request_values(request)
    flags = images.set_flags(
        image_id,
        favourite=truthy(values.get("favourite")),
        nsfw=truthy(values.get("nsfw")),
    )
    if flags is None:
        raise PageError(404, f"No image {image_id} in the gallery.", code="image_not_found")
    return action_answer(
        request,
        f"/gallery/{image_id}",
        "Saved.",
        {"is_favourite": flags[0], "is_nsfw": flags[1]},
    )


@router.post("/gallery/{image_id:row_id}/delete", dependencies=[Depends(verify_csrf)])
def delete_image(request: Request, image_id: int, images: GalleryServiceDep) -> Response:
    if not images.delete(image_id):
        raise PageError(404, f"No image {image_id} in the gallery.", code="image_not_found")
    return action_answer(request, "/gallery", "Image deleted.", {"deleted": image_id})


@router.post("/gallery/{image_id:row_id}/reproduce", dependencies=[Depends(verify_csrf)])
async def reproduce(
    request: Request, image_id: int, images: GalleryServiceDep, runtime: RuntimeDep
) -> Response:
    """The same generation again: the job's exact spec and seed when the job is known, else
    (the job was deleted) the image's preset with its seed."""
    detail = gallery_image(images, image_id)
    if detail.job_id:
        with as_page_errors():
            try:
                submission = await run_in_threadpool(retry_job, runtime, detail.job_id)
            except JobNotFound:
                submission = None
        if submission is not None:
            return queued_answer(request, submission.job_ids, submission.batch_id, "Reproduce")
    seed = int(detail.card.seed) if detail.card.seed.isdigit() else None
    return await _from_preset(request, runtime, detail, seed, "Reproduce")


@router.post("/gallery/{image_id:row_id}/vary", dependencies=[Depends(verify_csrf)])
async def vary(
    request: Request, image_id: int, images: GalleryServiceDep, runtime: RuntimeDep
) -> Response:
    """With ``denoise``: img2img from the image (its job's prompt and settings, a new seed).
    Without: the image's preset, checkpoint and size with a new seed."""
    detail = gallery_image(images, image_id)
    values = await request_values(request)
    if given(values.get("denoise")):
        return await vary_from_image(request, runtime, detail, values["denoise"])
    return await _from_preset(request, runtime, detail, None, "Variation")


async def _from_preset(
    request: Request, runtime: Runtime, detail: ImageDetail, seed: int | None, what: str
) -> Response:
    if not detail.preset_slug:
        raise PageError(400, "This image's preset no longer exists.", code="preset_not_found")
    options = GenerationOptions(
        count=1,
        seed=seed,
        checkpoint=detail.checkpoint,
        width=detail.card.width,
        height=detail.card.height,
    )
    with as_page_errors():
        try:
            submission = await run_in_threadpool(
                submit_preset_generation, runtime, detail.preset_slug, options
            )
        except PresetNotFound:
            raise PageError(
                400, "This image's preset no longer exists.", code="preset_not_found"
            ) from None
    return queued_answer(request, submission.job_ids, submission.batch_id, what)


@router.post("/gallery/{image_id:row_id}/cover", dependencies=[Depends(verify_csrf)])
async def use_as_cover(
    request: Request,
    image_id: int,
    images: GalleryServiceDep,
    library: LibraryServiceDep,
    presets: PresetServiceDep,
) -> Response:
    """Make the image the cover of its preset, or (``category`` and ``resource_id``) of a
    library resource."""
    detail = gallery_image(images, image_id)
    values = await request_values(request)
    category = str(values.get("category") or "")
    resource_id = str(values.get("resource_id") or "")
    path = detail.card.relative_path
    with as_page_errors():
        if category:
            if category not in CATEGORIES or not resource_id:
                raise PageError(
                    400, "Name the resource whose cover this becomes.", code="no_resource_named"
                )
            document = library.set_cover(category, resource_id, path)
            url = f"/library/{category}/{document['slug']}"
            message = f"Cover of {document['name']} set."
        else:
            if not detail.preset_slug:
                raise PageError(
                    400, "This image's preset no longer exists.", code="preset_not_found"
                )
            document = presets.set_cover(detail.preset_slug, path)
            url = f"/presets/{document['slug']}"
            message = f"Cover of {document['name']} set."
    return action_answer(request, url, message, {"cover": path, "url": url})
