"""Previewing a library resource: one image of it, on a random or chosen character."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.generation.options import parse_generation_options
from gaze.generation.previews import submit_resource_preview
from gaze.library.schema import CATEGORIES
from gaze.route_deps import CatalogueDep, LibraryServiceDep, RuntimeDep
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError, wants_json
from gaze.web.request_values import request_values
from gaze.web.service_errors import as_page_errors

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


@router.post("/library/{category}/{slug}/preview", dependencies=[Depends(verify_csrf)])
async def preview(
    request: Request,
    category: str,
    slug: str,
    library: LibraryServiceDep,
    catalogue: CatalogueDep,
    runtime: RuntimeDep,
) -> Response:
    """Fields: ``character`` (an id; blank: random), ``seed`` (blank: random),
    ``checkpoint`` (blank: the first one a backend has)."""
    if category not in CATEGORIES:
        raise PageError(404, f"No library category {category!r}.", code="unknown_category")
    resource = library.get(category, slug)
    if resource is None:
        raise PageError(
            404, f"No {category[:-1]} {slug!r} in the library.", code="resource_not_found"
        )
    values = await request_values(request)
    with as_page_errors():
        wanted = parse_generation_options(
            {"seed": values.get("seed"), "checkpoint": values.get("checkpoint")}, from_form=True
        )
    checkpoint = wanted.checkpoint
    if not checkpoint:
        entries = await run_in_threadpool(lambda: catalogue.list(runtime.backend_models()))
        available = [entry["path"] for entry in entries if entry["available"]]
        if not available:
            raise PageError(
                400,
                "No backend has a checkpoint to preview with.",
                code="no_checkpoint_available",
            )
        checkpoint = available[0]
    character = str(values.get("character") or "") or None
    with as_page_errors():
        submission = await run_in_threadpool(
            lambda: submit_resource_preview(
                runtime,
                category,
                resource,
                character=character,
                checkpoint=checkpoint,
                seed=wanted.seed,
            )
        )
    jobs = [{"id": job_id, "status": "pending"} for job_id in submission.job_ids]
    if wants_json(request):
        return JSONResponse({"ok": True, "batch_id": submission.batch_id, "jobs": jobs}, 202)
    return redirect_with_notice(
        f"/library/{category}/{resource['slug']}", "Preview queued: it appears here when done."
    )
