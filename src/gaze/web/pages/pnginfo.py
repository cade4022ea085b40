"""The PNG info page: drop or choose an image, see the generation parameters it carries (the
service of POST /api/v1/pnginfo), then reproduce it, open it in the Generator or save it as a
preset. The drop-anywhere script of every page (``/assets/pnginfo_drop.js``) posts a dropped
image here."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.generation.options import parse_generation_options
from gaze.generation.resolve_request import split_recipe
from gaze.generation.submit import compose_once
from gaze.media.uploads import MAX_UPLOAD_BYTES
from gaze.pnginfo.answer import installed_models, pnginfo_answer
from gaze.presets.recipe import preset_from_recipe
from gaze.route_deps import PresetServiceDep, RuntimeDep
from gaze.runtime import Runtime
from gaze.service_errors import Invalid, ServiceError
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.rendering import render
from gaze.web.request_values import form_lists
from gaze.web.service_errors import problems_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

SHOWN_PARAMETERS = (
    ("positive", "Positive"),
    ("negative", "Negative"),
    ("seed", "Seed"),
    ("steps", "Steps"),
    ("cfg", "CFG"),
    ("sampler", "Sampler"),
    ("scheduler", "Scheduler"),
    ("width", "Width"),
    ("height", "Height"),
    ("checkpoint", "Checkpoint"),
    ("checkpoint_hash", "Checkpoint hash"),
    ("denoise", "Denoising strength"),
    ("clip_skip", "Clip skip"),
    ("vae", "VAE"),
)
SOURCE_NAMES = {
    "a1111": "A1111 / Forge",
    "comfyui": "ComfyUI",
    "novelai": "NovelAI",
    "gaze": "GAZE",
}


def _answer(runtime: Runtime, data: bytes) -> dict[str, Any]:
    installed = installed_models(backend.lists for backend in runtime.backend_models())
    return pnginfo_answer(data, installed)


def _generator_url(answer: dict[str, Any]) -> str | None:
    body = answer.get("generate_body")
    if not body:
        return None
    query = {"recipe": json.dumps(body["recipe"], separators=(",", ":"))}
    if "seed" in body:
        query["seed"] = str(body["seed"])
    return f"/generator?{urlencode(query)}"


def _page(
    request: Request,
    answer: dict[str, Any] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "active": "pnginfo",
        "answer": answer,
        "problems": problems or [],
        "shown_parameters": SHOWN_PARAMETERS,
        "source_names": SOURCE_NAMES,
    }
    if answer is not None:
        context["generator_url"] = _generator_url(answer)
        context["generate_body_json"] = json.dumps(answer.get("generate_body"))
        context["recipe_json"] = json.dumps(answer.get("recipe"))
        context["raw_json"] = json.dumps(answer.get("raw"), indent=2, ensure_ascii=False)[:200_000]
    return render(request, "pnginfo/page.html", context, status=status)


@router.get("/pnginfo", response_class=HTMLResponse)
def pnginfo_page(request: Request) -> HTMLResponse:
    return _page(request)


@router.post("/pnginfo", dependencies=[Depends(verify_csrf)], response_class=HTMLResponse)
async def read_image(
    request: Request, runtime: RuntimeDep, file: UploadFile | None = File(None)
) -> HTMLResponse:
    """The parameters of the image sent as the multipart field ``file``."""
    if file is None:
        return _page(request, problems=["Choose an image file (PNG, JPEG or WebP)."], status=400)
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        answer = await run_in_threadpool(_answer, runtime, data)
    except ServiceError as error:
        return _page(request, problems=problems_of(error), status=error.status)
    return _page(request, answer)


def _json_field(values: dict[str, list[str]], name: str) -> Any:
    text = (values.get(name) or [""])[-1]
    try:
        return json.loads(text)
    except ValueError:
        raise Invalid([f"{name}: not JSON; read the image again"], code="invalid_form") from None


def _queue(runtime: Runtime, body: Any) -> dict[str, Any]:
    recipe, rest = split_recipe(body)
    options = parse_generation_options(rest)
    return compose_once(runtime, recipe, options, None).body


@router.post("/pnginfo/reproduce", dependencies=[Depends(verify_csrf)])
async def reproduce(request: Request, runtime: RuntimeDep) -> Response:
    """Queue the image's recipe (POST /api/v1/generate) and open the queue."""
    values = await form_lists(request)
    try:
        body = _json_field(values, "generate_body")
        await run_in_threadpool(_queue, runtime, body)
    except ServiceError as error:
        return _page(request, problems=problems_of(error), status=error.status)
    return redirect_with_notice("/queue", "Queued the image's recipe again.")


@router.post("/pnginfo/save", dependencies=[Depends(verify_csrf)])
async def save_as_preset(request: Request, service: PresetServiceDep) -> Response:
    """Save the image's recipe as a preset (POST /api/v1/presets/from-recipe) and open it."""
    values = await form_lists(request)
    name = (values.get("preset_name") or [""])[-1].strip()
    try:
        recipe = _json_field(values, "recipe")
        document = preset_from_recipe(recipe, name)
        created = await run_in_threadpool(service.create, document)
    except ServiceError as error:
        return _page(request, problems=problems_of(error), status=error.status)
    return redirect_with_notice(
        f"/presets/{created['slug']}", f"Saved the image's recipe as {created['name']}."
    )
