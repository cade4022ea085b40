"""The library: per category an index of cards, and a resource's page (view, flags, cover,
copy, delete, export). Creating, editing and importing are in `library_editor`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gaze.library.fields import slug_from_id
from gaze.library.schema import CATEGORIES
from gaze.library.service import LibraryService
from gaze.presets.resource_users import ResourceUser, resource_users
from gaze.route_deps import (
    CatalogueDep,
    GalleryServiceDep,
    LibraryServiceDep,
    RuntimeDep,
)
from gaze.web.cover_choice import chosen_cover
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.list_filters import card_filters
from gaze.web.login_session import require_login
from gaze.web.lora_choices import lora_choices
from gaze.web.page_errors import PageError, wants_json
from gaze.web.rendering import CATEGORY_TITLES, render, render_fragment
from gaze.web.request_values import request_values, truthy
from gaze.web.resource_form import resource_editor_state
from gaze.web.service_errors import as_page_errors
from gaze.web.views.wardrobe_choices import outfit_choices

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

IMAGES_SHOWN = 12


def checked_category(category: str) -> str:
    if category not in CATEGORIES:
        raise PageError(404, f"No library category {category!r}.", code="unknown_category")
    return category


@router.get("/library")
def library_home() -> RedirectResponse:
    return RedirectResponse(f"/library/{CATEGORIES[0]}", 307)


@router.get("/library/{category}", response_class=HTMLResponse)
def library_index(
    request: Request, category: str, library: LibraryServiceDep, images: GalleryServiceDep
) -> HTMLResponse:
    checked_category(category)
    filters = card_filters(request)
    with as_page_errors():
        page = library.list(category, **filters.service_arguments())
    missing = [item["id"] for item in page.items if not item["cover"]]
    recent = images.latest_per_resource(category, missing)
    context: dict[str, Any] = {
        "active": "library",
        "active_category": category,
        "category": category,
        "items": page.items,
        "recent": recent,
        "filters": filters,
        "next_cursor": page.next_cursor,
    }
    if request.query_params.get("fragment"):
        return render_fragment(request, "library/_fragment.html", context)
    return render(request, "library/index.html", context)


def stored_resource(library: LibraryService, category: str, slug: str) -> dict[str, Any]:
    document = library.get(checked_category(category), slug)
    if document is None:
        singular = category[:-1]
        raise PageError(404, f"No {singular} {slug!r} in the library.", code="resource_not_found")
    return document


@router.get("/library/{category}/{slug}", response_class=HTMLResponse)
def resource_page(
    request: Request,
    category: str,
    slug: str,
    library: LibraryServiceDep,
    images: GalleryServiceDep,
    catalogue: CatalogueDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    document = stored_resource(library, category, slug)
    characters = library.list("characters", limit=None).items
    return render(
        request,
        "library/detail.html",
        {
            "active": "library",
            "active_category": category,
            "category": category,
            "resource": document,
            "state": resource_editor_state(category, document),
            "images": images.resource_images(category, document["id"], IMAGES_SHOWN),
            "loras": lora_choices(runtime),
            "characters": characters,
            "outfits": outfit_choices(library, category),
            "creating": False,
            "problems": [],
            "document_json": json.dumps(document, indent=2, ensure_ascii=False),
        },
    )


def _answer(request: Request, url: str, message: str, data: dict[str, Any]) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "message": message, **data})
    return redirect_with_notice(url, message)


@router.post("/library/{category}/{slug}/flags", dependencies=[Depends(verify_csrf)])
async def set_flags(
    request: Request, category: str, slug: str, library: LibraryServiceDep
) -> Response:
    values = await request_values(request)
    with as_page_errors():
        document = library.set_flags(
            checked_category(category),
            slug,
            favourite=truthy(values.get("favourite")),
            nsfw=truthy(values.get("nsfw")),
        )
    return _answer(
        request,
        f"/library/{category}/{document['slug']}",
        "Flags saved.",
        {"is_favourite": document["is_favourite"], "is_nsfw": document["is_nsfw"]},
    )


@router.post("/library/{category}/{slug}/cover", dependencies=[Depends(verify_csrf)])
async def set_cover(
    request: Request,
    category: str,
    slug: str,
    library: LibraryServiceDep,
    runtime: RuntimeDep,
    image: str | None = Form(None),
    upload: UploadFile | None = File(None),
    remove: str | None = Form(None),
) -> Response:
    """``image`` (a path in the media folder, "use this image"), an ``upload``, or ``remove``."""
    checked_category(category)
    cover = await chosen_cover(
        runtime.settings.resolved_media_dir,
        category,
        slug,
        image=image,
        upload=upload,
        remove=remove,
        fallback_stem="resource",
    )
    with as_page_errors():
        document = library.set_cover(category, slug, cover)
    return _answer(
        request,
        f"/library/{category}/{document['slug']}",
        "Cover removed." if cover is None else "Cover set.",
        {"cover": document.get("cover")},
    )


@router.post("/library/{category}/{slug}/duplicate", dependencies=[Depends(verify_csrf)])
def duplicate(
    request: Request,
    category: str,
    slug: str,
    service: LibraryServiceDep,
    new_id: str = Form(""),
) -> Response:
    document = stored_resource(service, category, slug)
    new_id = new_id.strip()
    if not new_id:
        for number in range(1, 1000):
            candidate = f"{document['id']}_copy" + (str(number) if number > 1 else "")
            if service.get(category, candidate) is None:
                new_id = candidate
                break
    with as_page_errors():
        copy = service.duplicate(category, document["id"], new_id)
    return _answer(
        request,
        f"/library/{category}/{copy['slug']}",
        f"Copied as {copy['name']}.",
        {"slug": copy["slug"]},
    )


@router.post("/library/{category}/{slug}/delete", dependencies=[Depends(verify_csrf)])
def delete(
    request: Request, category: str, slug: str, library: LibraryServiceDep, runtime: RuntimeDep
) -> Response:
    document = stored_resource(library, category, slug)
    try:
        with as_page_errors():
            library.delete(category, document["id"])
    except PageError as error:
        if error.code != "in_use" or wants_json(request):
            raise
        users = resource_users(runtime.database, category, document["id"])
        return still_in_use_page(request, category, document, error.message, users)
    return _answer(
        request,
        f"/library/{category}",
        f"Deleted {document['name']} from {CATEGORY_TITLES[category].lower()}.",
        {"url": f"/library/{category}"},
    )


USER_PAGES = {"preset": "/presets/{slug}/edit", "character": "/library/characters/{slug}"}


def still_in_use_page(
    request: Request,
    category: str,
    document: dict[str, Any],
    message: str,
    users: list[ResourceUser],
) -> HTMLResponse:
    """409: the resource stays; the page links to what uses it and back to the resource."""
    context = {
        "active": "library",
        "active_category": category,
        "category": category,
        "resource": document,
        "users": [
            {
                "kind": user.kind,
                "name": user.name,
                "url": USER_PAGES[user.kind].format(slug=user.slug),
            }
            for user in users
        ],
        "message": message,
    }
    return render(request, "library/in_use.html", context, 409)


@router.get("/library/{category}/{slug}/export")
def export(category: str, slug: str, library: LibraryServiceDep) -> Response:
    """The resource's JSON document as a file, ready for a library folder or an import."""
    document = stored_resource(library, category, slug)
    name = f"{slug_from_id(document['id']) or 'resource'}.json"
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
