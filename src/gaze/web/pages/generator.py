"""The Generator page: compose a recipe per slot (no saved preset), see its resolved prompt,
queue its images, save it as a preset. The same services as POST /api/v1/resolve,
POST /api/v1/generate with a recipe and POST /api/v1/presets/from-recipe.

Scripts ask ``/ui/generator/resolve`` (on every change) and ``/ui/generator/generate``; without
script the form posts to ``/generator`` (resolve), ``/generator/generate`` or
``/generator/save`` and the page answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.generation.options import parse_generation_options
from gaze.generation.resolve_request import resolve_recipe
from gaze.generation.submit import compose_once
from gaze.library.choices import resource_choices
from gaze.presets.recipe import preset_from_recipe
from gaze.presets.schema import ORIENTATION_SIZES
from gaze.route_deps import PresetServiceDep, RuntimeDep
from gaze.runtime import Runtime
from gaze.service_errors import ServiceError
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.generator_form import (
    GeneratorRequest,
    form_state,
    recipe_of_document,
    request_from_form,
    request_from_query,
)
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.pages.preset_editor import default_checkpoint
from gaze.web.rendering import render
from gaze.web.request_values import form_lists
from gaze.web.service_errors import problems_of
from gaze.web.views.upscaler_choices import upscaler_choices

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


def _seed(wanted: GeneratorRequest) -> int | None:
    return parse_generation_options({"seed": wanted.seed}, from_form=True, strict=False).seed


def resolved(runtime: Runtime, wanted: GeneratorRequest) -> dict[str, Any]:
    """What the recipe runs for the form's seed (a random one when blank)."""
    return resolve_recipe(runtime, wanted.resolve_body(_seed(wanted)))


def queued(runtime: Runtime, wanted: GeneratorRequest) -> dict[str, Any]:
    """Queue the recipe's images: the answer of POST /api/v1/generate, each job with its seed."""
    options = parse_generation_options(
        {"seed": wanted.seed, "count": wanted.count}, from_form=True, strict=False
    )
    answer = compose_once(runtime, wanted.recipe, options, None).body
    seeds = options.seeds()
    jobs = [
        {"id": job["job_id"], "status": "pending", "seed": seeds[index] if seeds else None}
        for index, job in enumerate(answer["jobs"])
    ]
    return {"batch_id": answer["batch_id"], "jobs": jobs}


def _page(
    request: Request,
    runtime: Runtime,
    wanted: GeneratorRequest,
    *,
    problems: list[str] | None = None,
    queued_jobs: dict[str, Any] | None = None,
    save: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    resolution: dict[str, Any] | None = None
    resolve_problems: list[str] = []
    try:
        resolution = resolved(runtime, wanted)
    except ServiceError as error:
        resolve_problems = problems_of(error)
    backends = runtime.backend_models()
    choices = resource_choices(runtime.database)
    return render(
        request,
        "generator/page.html",
        {
            "active": "generator",
            "wanted": wanted,
            "state": form_state(wanted.recipe),
            "query": wanted.query(),
            "problems": problems or [],
            "resolution": resolution,
            "resolve_problems": resolve_problems,
            "queued": queued_jobs,
            "save": save or {"name": "", "id": "", "problems": []},
            "choices": choices,
            "choices_json": {category: entry.to_json() for category, entry in choices.items()},
            "checkpoints": runtime.checkpoint_catalogue().list(backends),
            "orientations": list(ORIENTATION_SIZES["sd1"]),
            "upscalers": upscaler_choices(backends),
            "lora_files": runtime.checkpoint_catalogue().loras(backends),
        },
        status=status,
    )


@router.get("/generator", response_class=HTMLResponse)
def generator_page(
    request: Request, runtime: RuntimeDep, service: PresetServiceDep
) -> HTMLResponse:
    """``?recipe=<JSON>&seed=&count=`` (a bookmarked state) or ``?from=<preset slug>``."""
    wanted, problems = request_from_query(request.query_params)
    source = request.query_params.get("from")
    if source:
        document = service.get(source)
        if document is None:
            raise PageError(404, f"No preset {source!r}.", code="preset_not_found")
        wanted = GeneratorRequest(recipe_of_document(document), wanted.seed, wanted.count)
    elif "recipe" not in request.query_params:
        catalogue = runtime.checkpoint_catalogue().list(runtime.backend_models())
        checkpoint = default_checkpoint(catalogue)
        if checkpoint:
            wanted = GeneratorRequest({**wanted.recipe, "checkpoint": checkpoint}, wanted.seed)
    return _page(request, runtime, wanted, problems=problems)


@router.post("/generator", dependencies=[Depends(verify_csrf)], response_class=HTMLResponse)
async def resolve_by_form(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The form without script: the page again, with the prompt it resolves to."""
    wanted = request_from_form(await form_lists(request))
    return await run_in_threadpool(_page, request, runtime, wanted)


@router.post("/generator/generate", dependencies=[Depends(verify_csrf)])
async def generate_by_form(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    wanted = request_from_form(await form_lists(request))
    try:
        answer = await run_in_threadpool(queued, runtime, wanted)
    except ServiceError as error:
        problems = problems_of(error)
        return await run_in_threadpool(
            _page, request, runtime, wanted, problems=problems, status=error.status
        )
    return await run_in_threadpool(_page, request, runtime, wanted, queued_jobs=answer)


@router.post("/generator/save", dependencies=[Depends(verify_csrf)])
async def save_as_preset(
    request: Request, runtime: RuntimeDep, service: PresetServiceDep
) -> Response:
    """Save the recipe as a preset (POST /api/v1/presets/from-recipe) and open it."""
    values = await form_lists(request)
    wanted = request_from_form(values)
    name = (values.get("preset_name") or [""])[-1].strip()
    preset_id = (values.get("preset_id") or [""])[-1].strip() or None
    try:
        document = preset_from_recipe(wanted.recipe, name, preset_id)
        created = await run_in_threadpool(service.create, document)
    except ServiceError as error:
        save = {"name": name, "id": preset_id or "", "problems": problems_of(error)}
        return await run_in_threadpool(
            _page, request, runtime, wanted, save=save, status=error.status
        )
    return redirect_with_notice(
        f"/presets/{created['slug']}", f"Saved the Generator's recipe as {created['name']}."
    )


def _script_answer(wanted: GeneratorRequest, error: ServiceError) -> JSONResponse:
    return JSONResponse(
        {
            "error": error.message,
            "code": error.code,
            "problems": problems_of(error),
            "query": wanted.query(),
        },
        status_code=error.status,
    )


@router.get("/ui/generator/resolve")
def resolve_by_script(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The form's fields (as a query string) -> the resolved prompt and the page's state."""
    values: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        values.setdefault(key, []).append(value)
    wanted = request_from_form(values)
    try:
        resolution = resolved(runtime, wanted)
    except ServiceError as error:
        return _script_answer(wanted, error)
    return JSONResponse({"resolution": resolution, "query": wanted.query()})


@router.post("/ui/generator/generate", dependencies=[Depends(verify_csrf)])
async def generate_by_script(request: Request, runtime: RuntimeDep) -> JSONResponse:
    wanted = request_from_form(await form_lists(request))
    try:
        answer = await run_in_threadpool(queued, runtime, wanted)
    except ServiceError as error:
        return _script_answer(wanted, error)
    return JSONResponse({**answer, "query": wanted.query()}, status_code=202)
