"""Search everything: presets and library resources by name or id, images by prompt."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gaze.route_deps import GalleryServiceDep, LibraryServiceDep, PresetServiceDep
from gaze.service_errors import ServiceError
from gaze.web.login_session import require_login
from gaze.web.rendering import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

PRESETS_SHOWN = 24
RESOURCES_SHOWN = 40
IMAGES_SHOWN = 36
MAX_QUERY = 200


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    preset_service: PresetServiceDep,
    library: LibraryServiceDep,
    gallery: GalleryServiceDep,
    q: str = "",
) -> HTMLResponse:
    query = q.strip()[:MAX_QUERY]
    presets: list[dict[str, object]] = []
    resources: list[dict[str, object]] = []
    images = []
    if query:
        try:
            presets = preset_service.list(q=query, limit=PRESETS_SHOWN).items
            resources = library.list(None, q=query, limit=RESOURCES_SHOWN).items
        except ServiceError:
            presets, resources = [], []
        images = gallery.search(query, IMAGES_SHOWN)
    return render(
        request,
        "search.html",
        {
            "search_q": query,
            "presets": presets,
            "resources": resources,
            "images": images,
        },
    )
