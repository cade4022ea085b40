"""Refining a gallery image: upscale it, vary it (img2img), inpaint it with a painted mask; and
the uploads the UI starts from (an init image dropped on the generate panel, a mask).

Upscale, vary and inpaint follow the image's job (its prompt, seed and settings; see
`gaze.generation.follow_ups`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.gallery.detail import ImageDetail
from gaze.generation.follow_ups import submit_inpaint, submit_upscale, submit_variation
from gaze.jobs.service import JobNotFound
from gaze.jobs.submission import Submission
from gaze.media.uploads import MAX_UPLOAD_BYTES, store_upload
from gaze.route_deps import GalleryServiceDep, RuntimeDep
from gaze.runtime import Runtime
from gaze.web import row_ids  # noqa: F401  (registers the row_id path convertor)
from gaze.web.csrf import verify_csrf
from gaze.web.gallery_answers import gallery_image, queued_answer
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.request_values import request_values
from gaze.web.service_errors import as_page_errors

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

FOLLOW_UP_WORDS: dict[object, tuple[str, str]] = {
    submit_upscale: ("Upscale", "upscaled"),
    submit_variation: ("Variation", "varied"),
    submit_inpaint: ("Inpaint", "inpainted"),
}
"""Each follow-up's name in the answer, and in 'cannot be ...'."""


@router.post("/ui/uploads", dependencies=[Depends(verify_csrf)])
async def upload(runtime: RuntimeDep, file: UploadFile | None = File(None)) -> JSONResponse:
    """An image to start from (PNG, JPEG or WebP), stored as ``inputs/<id>.png``: 201 with
    ``upload_id``, ``relative_path``, ``width`` and ``height``."""
    if file is None:
        raise PageError(400, "Send the image as the multipart field 'file'.", code="no_file")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    with as_page_errors():
        stored = await run_in_threadpool(store_upload, runtime.settings.resolved_media_dir, data)
    return JSONResponse(stored.to_json(), 201)


def _number(value: Any) -> Any:
    """A number from JSON, or from a form's text; anything else as it is (the service names
    it)."""
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def given(value: Any) -> bool:
    """Whether a request value is there (0 is; null and a blank form field are not)."""
    return value is not None and value != ""


def _job_of(detail: ImageDetail, action: str) -> str:
    if not detail.job_id:
        raise PageError(
            409,
            f"This image's job was deleted, so it cannot be {action}: use it as the init image "
            "of a generation instead.",
            code="job_not_found",
        )
    return detail.job_id


FollowUp = Callable[[Runtime, str, Mapping[str, Any]], Submission]


async def _follow_up(
    request: Request,
    detail: ImageDetail,
    runtime: Runtime,
    submit: FollowUp,
    values: Mapping[str, Any],
) -> Response:
    what, action = FOLLOW_UP_WORDS[submit]
    job_id = _job_of(detail, action)
    with as_page_errors():
        try:
            submission = await run_in_threadpool(submit, runtime, job_id, values)
        except JobNotFound:
            raise PageError(
                409, "This image's job no longer exists.", code="job_not_found"
            ) from None
    return queued_answer(request, submission.job_ids, submission.batch_id, what)


@router.post("/gallery/{image_id:row_id}/upscale", dependencies=[Depends(verify_csrf)])
async def upscale(
    request: Request, image_id: int, images: GalleryServiceDep, runtime: RuntimeDep
) -> Response:
    """A second pass over the image at ``scale`` (default 2) with ``upscaler`` and
    ``denoise`` (the follow-up's defaults when left out)."""
    detail = gallery_image(images, image_id)
    sent = await request_values(request)
    values = {name: _number(sent[name]) for name in ("scale", "denoise") if given(sent.get(name))}
    if sent.get("upscaler"):
        values["upscaler"] = sent["upscaler"]
    return await _follow_up(request, detail, runtime, submit_upscale, values)


async def vary_from_image(
    request: Request, runtime: Runtime, detail: ImageDetail, denoise: Any
) -> Response:
    """Img2img from the image at ``denoise``, with a new seed."""
    values = {"denoise": _number(denoise)}
    return await _follow_up(request, detail, runtime, submit_variation, values)


@router.post("/gallery/{image_id:row_id}/inpaint", dependencies=[Depends(verify_csrf)])
async def inpaint(
    request: Request, image_id: int, images: GalleryServiceDep, runtime: RuntimeDep
) -> Response:
    """Redraw the image where ``mask`` (an upload's relative path) is white, at ``denoise``,
    with the image's job's seed and settings."""
    detail = gallery_image(images, image_id)
    sent = await request_values(request)
    if not sent.get("mask"):
        raise PageError(400, "Paint a mask first: mask is missing.", code="invalid_mask")
    values: dict[str, Any] = {"mask": sent["mask"]}
    if given(sent.get("denoise")):
        values["denoise"] = _number(sent["denoise"])
    return await _follow_up(request, detail, runtime, submit_inpaint, values)
