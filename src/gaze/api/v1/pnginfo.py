"""`POST /api/v1/pnginfo`: the generation parameters an image carries (A1111/Forge, ComfyUI,
NovelAI or GAZE) and the recipe that reproduces it on GAZE."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gaze.api.auth import READ
from gaze.api.schemas import BODY_ERROR_RESPONSES, ERROR_RESPONSES, error_response
from gaze.api.v1.uploads import IMAGE_FILE_BODY, UPLOAD_FIELD, uploaded_image_bytes
from gaze.media.uploads import MAX_UPLOAD_BYTES
from gaze.pnginfo.answer import installed_models, pnginfo_answer
from gaze.pnginfo.read import LOOKED_FOR
from gaze.route_deps import BackendModelsDep

router = APIRouter(tags=["generate"])


class PngInfoLora(BaseModel):
    name: str = Field(examples=["add_detail"])
    strength: float = Field(examples=[0.8])
    installed: str | None = Field(
        description="The installed LoRA file it matched (by path or name), or null."
    )


class PngInfoAnswer(BaseModel):
    source: Literal["a1111", "comfyui", "novelai", "gaze"]
    parameters: dict[str, Any] = Field(
        description="Normalised: positive, negative, seed, steps, cfg, sampler and scheduler "
        "(GAZE's names, null when unknown to GAZE), width, height, checkpoint, "
        "checkpoint_hash, loras, denoise (img2img), hires (upscale, steps, denoise, upscaler, "
        "sampler, scheduler), clip_skip, vae, other (settings without a place here).",
        examples=[{"positive": "a lighthouse", "negative": "", "seed": 42, "steps": 20}],
    )
    recipe: dict[str, Any] | None = Field(
        description="A recipe for POST /api/v1/generate, with the installed checkpoint it "
        "matched; null when none could be made."
    )
    generate_body: dict[str, Any] | None = Field(
        description="The whole POST /api/v1/generate body: the recipe and the seed."
    )
    checkpoint: str | None = Field(description="The installed checkpoint matched, or null.")
    loras: list[PngInfoLora]
    warnings: list[str] = Field(
        description="What could not be read or mapped, and what the recipe leaves out."
    )
    raw: Any = Field(description="The untouched text, ComfyUI graphs or GAZE JSON read.")


@router.post(
    "/pnginfo",
    dependencies=[READ],
    summary="Read the generation parameters of an image",
    operation_id="png_info",
    description=f"A PNG, JPEG or WebP file (at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB) as "
    f"the multipart field `{UPLOAD_FIELD}`. GAZE reads the parameters A1111/Forge (the "
    "`parameters` text, or a JPEG's or WebP's EXIF UserComment), ComfyUI (the `prompt` graph, "
    "followed from the output node; or its `workflow`), NovelAI (`Comment`) and GAZE (`gaze`) "
    "write, and answers them with the recipe that reproduces the image. Nothing is stored.",
    response_model=PngInfoAnswer,
    responses={
        200: {"description": "The image's parameters"},
        400: error_response(
            "Not a usable file (missing, empty, too large, not PNG/JPEG/WebP)",
            "unsupported_image_format",
            "the file is a ZIP archive; send a PNG, JPEG or WebP image",
        ),
        422: error_response(
            "The image carries no generation parameters GAZE reads",
            "no_generation_metadata",
            f"the PNG image carries no generation parameters: looked for {LOOKED_FOR}",
        ),
        **ERROR_RESPONSES,
        **BODY_ERROR_RESPONSES,
    },
    openapi_extra=IMAGE_FILE_BODY,
)
async def png_info(request: Request, found: BackendModelsDep) -> JSONResponse:
    data = await uploaded_image_bytes(request)
    installed = installed_models(backend.lists for backend in found)
    answer = await run_in_threadpool(pnginfo_answer, data, installed)
    return JSONResponse(answer)
