"""The library editor's "Draft with AI" panel: queue a draft job from a description, poll
it, and open the new-resource editor filled with the checked draft (nothing is saved until
the person saves the form). Without an LLM configured the panel is not shown and these
routes answer 503."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.library.text_rules import MAX_DESCRIPTION_LENGTH
from gaze.llm.draft_submit import draft_outcome, draft_status, submit_draft
from gaze.llm.drafting import DRAFT, DraftTask
from gaze.route_deps import RuntimeDep
from gaze.runtime import Runtime
from gaze.service_errors import ServiceError
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.lora_choices import lora_choices
from gaze.web.page_errors import PageError
from gaze.web.rendering import CATEGORY_TITLES, render
from gaze.web.request_values import form_lists
from gaze.web.resource_form import resource_editor_state
from gaze.web.views.wardrobe_choices import outfit_choices

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


def _category(category: str) -> str:
    if category not in CATEGORY_TITLES:
        raise PageError(404, f"No library category {category!r}.", code="unknown_category")
    return category


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/ui/library/{category}/draft", dependencies=[Depends(verify_csrf)])
async def queue_draft(request: Request, category: str, runtime: RuntimeDep) -> Response:
    """Form field or JSON `description`: a draft job; JSON `{job_id, editor_url}` for the
    panel's script, else a redirect to the editor page that waits for it."""
    _category(category)
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        description = str(body.get("description", "")) if isinstance(body, dict) else ""
    else:
        description = (await form_lists(request)).get("description", [""])[-1]
    description = description.strip()
    problem = None
    if not description:
        problem = "Describe what to draft first."
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        problem = f"The description is over {MAX_DESCRIPTION_LENGTH} characters."
    if problem is None:
        task = DraftTask(DRAFT, category, description=description)
        try:
            job_id = await run_in_threadpool(submit_draft, runtime, task)
        except ServiceError as error:
            problem = error.message
    if problem is not None:
        if _wants_json(request):
            return JSONResponse({"error": problem, "code": "draft_refused"}, status_code=400)
        return redirect_with_notice(f"/library/{category}/new", problem, "error")
    editor_url = f"/library/{category}/new/draft/{job_id}"
    if _wants_json(request):
        return JSONResponse({"job_id": job_id, "editor_url": editor_url}, status_code=202)
    return RedirectResponse(editor_url, status_code=303)


@router.get("/ui/library/drafts/{job_id}")
def poll_draft(job_id: str, runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(draft_status(runtime, job_id))


@router.get("/library/{category}/new/draft/{job_id}", response_class=HTMLResponse)
def draft_editor(request: Request, category: str, job_id: str, runtime: RuntimeDep) -> Response:
    """The new-resource editor filled with a finished draft; while it runs, the editor with
    a note to reload; a failed draft goes back to the empty editor saying why."""
    _category(category)
    try:
        outcome = draft_outcome(runtime, job_id)
    except ServiceError as error:
        return redirect_with_notice(f"/library/{category}/new", error.message, "error")
    result = outcome.result
    if result is None or result.get("category") != category or "draft" not in result:
        return redirect_with_notice(
            f"/library/{category}/new", "The draft is not ready yet; try again in a moment."
        )
    return _editor_page(request, runtime, category, result)


def _editor_page(
    request: Request, runtime: Runtime, category: str, result: dict[str, Any]
) -> HTMLResponse:
    return render(
        request,
        "library/new.html",
        {
            "active": "library",
            "active_category": category,
            "category": category,
            "state": resource_editor_state(category, result["draft"]),
            "loras": lora_choices(runtime),
            "outfits": outfit_choices(runtime.library_service(), category),
            "creating": True,
            "problems": [],
            "draft_result": result,
        },
    )
