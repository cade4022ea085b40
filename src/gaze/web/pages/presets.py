"""Presets: the grid of cards, a preset's page, and its quick actions (flags, cover, copy,
delete). The editor is in `preset_editor`, generation in `preset_generation`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gaze.library.checkpoint_catalogue import available_checkpoints
from gaze.library.names import resource_names
from gaze.presets.schema import ORIENTATION_SIZES
from gaze.presets.service import PresetService
from gaze.route_deps import (
    CatalogueDep,
    GalleryServiceDep,
    PresetServiceDep,
    RuntimeDep,
)
from gaze.service_errors import ServiceError
from gaze.web.cover_choice import chosen_cover
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.list_filters import card_filters
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError, wants_json
from gaze.web.rendering import render, render_fragment
from gaze.web.request_values import request_values, truthy
from gaze.web.service_errors import as_page_errors
from gaze.web.views.preset_slots import named_ids, preset_slots
from gaze.web.views.upscaler_choices import upscaler_choices

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

RECENT_IMAGES = 18


@router.get("/", response_class=HTMLResponse)
def presets_index(
    request: Request, service: PresetServiceDep, images: GalleryServiceDep
) -> HTMLResponse:
    filters = card_filters(request)
    with as_page_errors():
        page = service.list(**filters.service_arguments())
    missing = [item["preset_id"] for item in page.items if not item["cover"]]
    recent = images.latest_per_preset(missing)
    context = {
        "active": "presets",
        "items": page.items,
        "recent": recent,
        "filters": filters,
        "next_cursor": page.next_cursor,
    }
    if request.query_params.get("fragment"):
        return render_fragment(request, "presets/_fragment.html", context)
    return render(request, "presets/index.html", context)


@router.get("/presets")
def presets_alias(request: Request) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse("/" + (f"?{query}" if query else ""), 307)


@router.get("/presets/{slug}", response_class=HTMLResponse)
def preset_page(
    request: Request,
    slug: str,
    service: PresetServiceDep,
    images: GalleryServiceDep,
    catalogue: CatalogueDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    document = service.get(slug)
    if document is None:
        raise PageError(404, f"No preset {slug!r}.", code="preset_not_found")
    names = resource_names(runtime.database, named_ids(document))
    slots = preset_slots(document, lambda category, key: names.get((category, key), key))
    resolution = None
    resolution_error = None
    try:
        resolution = service.resolve(document["slug"])
    except ServiceError as error:
        resolution_error = error.message
    backends = runtime.backend_models()
    checkpoints = catalogue.list(backends)
    available = available_checkpoints(backends)
    generation_problems = service.problems_for_generation(document, available if backends else None)
    return render(
        request,
        "presets/detail.html",
        {
            "active": "presets",
            "preset": document,
            "slots": slots,
            "resolution": resolution,
            "resolution_error": resolution_error,
            "generation_problems": generation_problems,
            "checkpoints": checkpoints,
            "base_models": {entry["path"]: entry["base_model"] for entry in checkpoints},
            "orientation_sizes": ORIENTATION_SIZES,
            "upscalers": upscaler_choices(backends),
            "images": images.preset_images(document["id"], RECENT_IMAGES),
            "recent_limit": RECENT_IMAGES,
        },
    )


def _done(request: Request, url: str, message: str, data: dict[str, object]) -> Response:
    """Scripts get JSON, forms a redirect that shows `message`."""
    if wants_json(request):
        return JSONResponse({"ok": True, "message": message, **data})
    return redirect_with_notice(url, message)


@router.post("/presets/{slug}/flags", dependencies=[Depends(verify_csrf)])
async def set_flags(request: Request, slug: str, service: PresetServiceDep) -> Response:
    """``favourite`` / ``nsfw``: true or false ("1"/"0" from forms); one left out keeps its
    flag."""
    values = await request_values(request)
    with as_page_errors():
        document = service.set_flags(
            slug, favourite=truthy(values.get("favourite")), nsfw=truthy(values.get("nsfw"))
        )
    return _done(
        request,
        f"/presets/{document['slug']}",
        "Flags saved.",
        {"is_favourite": document["is_favourite"], "is_nsfw": document["is_nsfw"]},
    )


@router.post("/presets/{slug}/cover", dependencies=[Depends(verify_csrf)])
async def set_cover(
    request: Request,
    slug: str,
    service: PresetServiceDep,
    runtime: RuntimeDep,
    image: str | None = Form(None),
    upload: UploadFile | None = File(None),
    remove: str | None = Form(None),
) -> Response:
    """Set the cover: ``image`` (a path in the media folder), an ``upload``, or ``remove``."""
    cover = await chosen_cover(
        runtime.settings.resolved_media_dir,
        "presets",
        slug,
        image=image,
        upload=upload,
        remove=remove,
        fallback_stem="preset",
    )
    with as_page_errors():
        document = service.set_cover(slug, cover)
    return _done(
        request,
        f"/presets/{document['slug']}",
        "Cover removed." if cover is None else "Cover set.",
        {"cover": document.get("cover")},
    )


@router.post("/presets/{slug}/duplicate", dependencies=[Depends(verify_csrf)])
def duplicate_preset(
    request: Request, slug: str, service: PresetServiceDep, new_id: str = Form("")
) -> Response:
    new_id = new_id.strip() or _free_copy_id(service, slug)
    with as_page_errors():
        copy = service.duplicate(slug, new_id)
    return _done(
        request,
        f"/presets/{copy['slug']}/edit",
        f"Copied as {copy['name']}.",
        {"slug": copy["slug"], "url": f"/presets/{copy['slug']}/edit"},
    )


def _free_copy_id(service: PresetService, slug: str) -> str:
    for number in range(1, 1000):
        candidate = f"{slug}_copy" if number == 1 else f"{slug}_copy{number}"
        if service.get(candidate) is None:
            return candidate
    raise PageError(409, "Could not find a free id for the copy; give one.", code="no_free_id")


@router.post("/presets/{slug}/delete", dependencies=[Depends(verify_csrf)])
def delete_preset(request: Request, slug: str, service: PresetServiceDep) -> Response:
    document = service.get(slug)
    if document is None:
        raise PageError(404, f"No preset {slug!r}.", code="preset_not_found")
    with as_page_errors():
        service.delete(slug)
    return _done(request, "/", f"Deleted the preset {document['name']}.", {"url": "/"})
