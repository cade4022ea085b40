"""What the gallery's image actions share: the image they act on, and their answers (JSON for
scripts, a redirect with a notice for forms)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from gaze.gallery.detail import ImageDetail
from gaze.gallery.service import GalleryService
from gaze.web.flash import redirect_with_notice
from gaze.web.page_errors import PageError, wants_json


def gallery_image(images: GalleryService, image_id: int) -> ImageDetail:
    detail = images.image(image_id)
    if detail is None:
        raise PageError(
            404,
            f"No image {image_id} in the gallery (it may have been deleted).",
            code="image_not_found",
        )
    return detail


def action_answer(request: Request, url: str, message: str, data: dict[str, Any]) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "message": message, **data})
    return redirect_with_notice(url, message)


def queued_answer(request: Request, job_ids: list[str], batch_id: str, what: str) -> Response:
    count = len(job_ids)
    return action_answer(
        request,
        "/queue",
        f"{what}: {count} image{'s' if count != 1 else ''} queued.",
        {"batch_id": batch_id, "jobs": [{"id": job_id, "status": "pending"} for job_id in job_ids]},
    )
