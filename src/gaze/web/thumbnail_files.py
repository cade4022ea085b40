"""``GET /static/thumbs/<width>/<relative_path>.webp``: thumbnails of the media folder's
images, served without auth like ``/static/uploads``, with ``ETag`` and ``Cache-Control``
(``304`` when ``If-None-Match`` names the ETag)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gaze.media.thumbnails import THUMBS_URL_PREFIX, ThumbnailStore, ThumbnailUnavailable
from gaze.route_deps import runtime_of

router = APIRouter(include_in_schema=False)


def thumbnail_store(request: Request) -> ThumbnailStore:
    settings = runtime_of(request).settings
    return ThumbnailStore.in_cache_folder(settings.resolved_media_dir, settings.cache_dir)


@router.api_route(f"{THUMBS_URL_PREFIX}/{{width}}/{{requested:path}}", methods=["GET", "HEAD"])
def thumbnail(width: str, requested: str, request: Request) -> Response:
    """Runs in a worker thread: a missing thumbnail is rendered there."""
    try:
        if not (width.isascii() and width.isdigit()) or len(width) > 5:
            raise ThumbnailUnavailable(404, "unknown_thumbnail_width", "Unknown thumbnail width.")
        found = thumbnail_store(request).thumbnail(
            int(width), requested, request.headers.get("if-none-match")
        )
    except ThumbnailUnavailable as problem:
        return JSONResponse(
            {"error": problem.message, "code": problem.code}, status_code=problem.status
        )
    headers = {"ETag": found.etag, "Cache-Control": found.cache_control}
    if found.data is None:
        return Response(status_code=304, headers=headers)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(found.data, media_type="image/webp", headers=headers)
