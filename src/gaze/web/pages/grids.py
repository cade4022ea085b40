"""Grids in the UI: the list, the builder (its request goes to the grid service, whose refusals
show beside the form), the viewer (progress, then the sheets with clickable cells), and a
library resource's strength sweeps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.grids.axes import AXIS_KINDS, MAX_CELLS
from gaze.grids.service import GridService
from gaze.grids.sweep import StrengthSweeps
from gaze.library.schema import CATEGORIES
from gaze.route_deps import RuntimeDep
from gaze.runtime import Runtime
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError, wants_json
from gaze.web.rendering import render, render_fragment
from gaze.web.request_values import request_values
from gaze.web.service_errors import as_page_errors
from gaze.web.views.grid_choices import grid_choices
from gaze.web.views.grid_summaries import grid_summary

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

LISTED = 60
SWEEPS_LISTED = 12


def _grids(runtime: RuntimeDep) -> GridService:
    return GridService(runtime, runtime.settings.resolved_media_dir)


GridsDep = Annotated[GridService, Depends(_grids)]


def _with_image_ids(runtime: Runtime, grid: dict[str, Any]) -> dict[str, Any]:
    """The grid with each done cell's gallery image id (the lightbox opens images by id)."""
    ids = runtime.gallery_service().image_ids_of_jobs([cell["job_id"] for cell in grid["cells"]])
    for cell in grid["cells"]:
        cell["image_id"] = ids.get(cell["job_id"])
    return grid


def _read(runtime: Runtime, grids: GridService, grid_id: str) -> dict[str, Any]:
    with as_page_errors():
        grid = grids.read(grid_id)
    return _with_image_ids(runtime, grid)


@router.get("/grids", response_class=HTMLResponse)
def grids_page(request: Request, grids: GridsDep) -> HTMLResponse:
    listed = [grid_summary(grid) for grid in grids.recent(LISTED)]
    return render(request, "grids/index.html", {"active": "grids", "grids": listed})


@router.get("/grids/new", response_class=HTMLResponse)
def builder_page(request: Request, runtime: RuntimeDep, preset: str = "") -> HTMLResponse:
    choices = grid_choices(runtime)
    slugs = [entry["slug"] for entry in choices["presets"]]
    return render(
        request,
        "grids/new.html",
        {
            "active": "grids",
            "choices": choices,
            "chosen_preset": preset if preset in slugs else (slugs[0] if slugs else ""),
            "axis_kinds": AXIS_KINDS,
            "categories": CATEGORIES,
            "max_cells": MAX_CELLS,
        },
    )


@router.post("/grids/new", dependencies=[Depends(verify_csrf)])
async def create_grid(request: Request, grids: GridsDep) -> JSONResponse:
    """The builder's request, as POST /api/v1/grids takes it; refusals answer 400 JSON."""
    body = await request_values(request)
    with as_page_errors():
        created = await run_in_threadpool(grids.create, body)
    return JSONResponse({**created.to_json(), "url": f"/grids/{created.grid_id}"})


@router.post("/grids/sweep/{category}/{resource_id}", dependencies=[Depends(verify_csrf)])
async def strength_sweep(
    request: Request, category: str, resource_id: str, grids: GridsDep
) -> Response:
    """Form fields ``seeds`` (a count) and ``steps`` (how many weights); blank: the defaults."""
    values = await request_values(request)
    body: dict[str, Any] = {}
    for field in ("seeds", "steps"):
        text = str(values.get(field) or "").strip()
        if text:
            if not text.isdigit():
                raise PageError(400, f"{field}: a whole number", code="invalid_document")
            body[field] = int(text)
    with as_page_errors():
        created = await run_in_threadpool(StrengthSweeps(grids).create, category, resource_id, body)
    url = f"/grids/{created.grid_id}"
    if wants_json(request):
        return JSONResponse({**created.to_json(), "url": url})
    return redirect_with_notice(url, f"Strength sweep queued: {len(created.job_ids)} images.")


@router.get("/grids/sweeps/{category}/{resource_id}", response_class=HTMLResponse)
def sweeps_fragment(
    request: Request, category: str, resource_id: str, grids: GridsDep
) -> HTMLResponse:
    """A resource's strength sweeps, newest first (the library page loads it)."""
    if category not in CATEGORIES:
        raise PageError(404, f"No library category {category!r}.", code="unknown_category")
    sweeps = grids.recent(SWEEPS_LISTED, sweep=(category, resource_id))
    return render_fragment(
        request, "grids/_sweeps.html", {"sweeps": [grid_summary(grid) for grid in sweeps]}
    )


@router.get("/grids/{grid_id}/state")
def grid_state(grid_id: str, grids: GridsDep, runtime: RuntimeDep) -> JSONResponse:
    """The grid as GET /api/v1/grid/<id> answers it, each cell with its gallery image id."""
    return JSONResponse(_read(runtime, grids, grid_id))


@router.get("/grids/{grid_id}", response_class=HTMLResponse)
def viewer_page(
    request: Request, grid_id: str, grids: GridsDep, runtime: RuntimeDep
) -> HTMLResponse:
    grid = _read(runtime, grids, grid_id)
    return render(
        request,
        "grids/view.html",
        {"active": "grids", "grid": grid, "summary": grid_summary(grid)},
    )
