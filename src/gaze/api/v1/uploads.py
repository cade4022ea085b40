"""`POST /api/v1/uploads`: the images a generation can start from (its `init_image` and
`mask`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from gaze.api.auth import GENERATE
from gaze.api.errors import bad_request
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, UploadedImage, error_response
from gaze.media.uploads import MAX_IMAGE_SIDE, MAX_UPLOAD_BYTES, store_upload
from gaze.route_deps import RuntimeDep

router = APIRouter(tags=["generate"])

UPLOAD_FIELD = "file"
IMAGE_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [UPLOAD_FIELD],
                    "properties": {
                        UPLOAD_FIELD: {"type": "string", "contentMediaType": "image/png"}
                    },
                }
            }
        },
    }
}
"""The OpenAPI request body of the routes that take one image as the multipart field `file`."""


async def uploaded_image_bytes(request: Request) -> bytes:
    """The bytes of the image sent as the multipart field `file` (at most one byte past the
    upload limit, so the caller can tell a file that is too large)."""
    try:
        form = await request.form(max_files=1, max_fields=10)
    except StarletteHTTPException as error:
        problem = f"unreadable multipart body: {error.detail}"
        raise bad_request("invalid_multipart", problem) from None
    try:
        upload = form.get(UPLOAD_FIELD)
        if not isinstance(upload, UploadFile):
            raise bad_request(
                "missing_file", f"send the image as the multipart/form-data field {UPLOAD_FIELD!r}"
            )
        return await upload.read(MAX_UPLOAD_BYTES + 1)
    finally:
        await form.close()


@router.post(
    "/uploads",
    dependencies=[GENERATE],
    summary="Upload an image to start from",
    operation_id="upload_image",
    description=f"A PNG, JPEG or WebP file (at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB and "
    f"{MAX_IMAGE_SIDE} px a side) as the multipart field `{UPLOAD_FIELD}`. It is decoded, turned "
    "upright (EXIF orientation) and stored as a PNG under `inputs/`; its `relative_path` is what "
    "generate's `init_image` and `mask` take.",
    status_code=201,
    response_model=UploadedImage,
    responses={
        201: {"description": "Stored"},
        400: error_response(
            "Not a usable image (missing, empty, not PNG/JPEG/WebP, too large)",
            "image_too_large",
            "the image is 6000x4000 px; at most 4096 px a side",
        ),
        507: error_response(
            "The media folder cannot take the file",
            "upload_not_saved",
            "the upload could not be saved: No space left on device",
        ),
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=IMAGE_FILE_BODY,
)
async def upload_image(request: Request, runtime: RuntimeDep) -> JSONResponse:
    data = await uploaded_image_bytes(request)
    stored = await run_in_threadpool(store_upload, runtime.settings.resolved_media_dir, data)
    return JSONResponse(stored.to_json(), status_code=201)
