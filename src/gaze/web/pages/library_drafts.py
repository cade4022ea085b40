"""The library editor's "Draft with AI" panel: queue a draft job from a description (from
scratch, or starting from the resource being edited), poll it, and open the new-resource
editor filled with the checked draft (nothing is saved until the person saves the form); and
the panel's field tools, "suggest tags" and "improve this prompt" for the field in focus.
Without an LLM configured the panel is not shown and these routes refuse with 503."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.library.text_rules import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_PROMPT_LENGTH
from gaze.llm.draft_submit import draft_outcome, draft_status, submit_draft
from gaze.llm.drafting import DRAFT, IMPROVE, TAGS, DraftTask
from gaze.route_deps import LibraryServiceDep, RuntimeDep
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

FIELD_TASKS = {"tags": TAGS, "improve": IMPROVE}
MAX_FIELD_LENGTH = 2 * MAX_NAME_LENGTH + 2


def _category(category: str) -> str:
    if category not in CATEGORY_TITLES:
        raise PageError(404, f"No library category {category!r}.", code="unknown_category")
    return category


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _values(request: Request) -> dict[str, str]:
    """The request's JSON object or form fields, as text."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        items = body.items() if isinstance(body, dict) else []
        return {str(key): value for key, value in items if isinstance(value, str)}
    return {key: values[-1] for key, values in (await form_lists(request)).items() if values}


def _refused(request: Request, category: str, problem: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": problem, "code": "draft_refused"}, status_code=400)
    return redirect_with_notice(f"/library/{category}/new", problem, "error")


@router.post("/ui/library/{category}/draft", dependencies=[Depends(verify_csrf)])
async def queue_draft(
    request: Request, category: str, runtime: RuntimeDep, library: LibraryServiceDep
) -> Response:
    """`description` (and `base`, a resource id): a draft job; JSON `{job_id, editor_url}`
    for the panel's script, else a redirect to the editor page of the draft."""
    _category(category)
    values = await _values(request)
    description = values.get("description", "").strip()
    if not description:
        return _refused(request, category, "Describe what to draft first.")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        problem = f"The description is over {MAX_DESCRIPTION_LENGTH} characters."
        return _refused(request, category, problem)
    base = None
    if values.get("base"):
        base = await run_in_threadpool(library.get, category, values["base"])
        if base is None:
            return _refused(request, category, f"No {category[:-1]} {values['base']!r}.")
    task = DraftTask(DRAFT, category, description=description, base=base)
    try:
        job_id = await run_in_threadpool(submit_draft, runtime, task)
    except ServiceError as error:
        return _refused(request, category, error.message)
    editor_url = f"/library/{category}/new/draft/{job_id}"
    if _wants_json(request):
        return JSONResponse({"job_id": job_id, "editor_url": editor_url}, status_code=202)
    return RedirectResponse(editor_url, status_code=303)


@router.post("/ui/library/{category}/draft/{tool}", dependencies=[Depends(verify_csrf)])
async def queue_field_tool(
    request: Request, category: str, tool: str, runtime: RuntimeDep
) -> JSONResponse:
    """JSON `{field, text}`: a job suggesting tags for the field, or improving its text."""
    _category(category)
    if tool not in FIELD_TASKS:
        raise PageError(404, f"No draft tool {tool!r}.", code="unknown_draft_tool")
    values = await _values(request)
    field, text = values.get("field", "").strip(), values.get("text", "").strip()
    problem = None
    if not field or len(field) > MAX_FIELD_LENGTH:
        problem = "Choose a prompt field first."
    elif not text or len(text) > MAX_PROMPT_LENGTH:
        problem = f"The field needs 1 to {MAX_PROMPT_LENGTH} characters of text."
    if problem is not None:
        return JSONResponse({"error": problem, "code": "draft_refused"}, status_code=400)
    task = DraftTask(FIELD_TASKS[tool], category, field=field, text=text)
    try:
        job_id = await run_in_threadpool(submit_draft, runtime, task)
    except ServiceError as error:
        return JSONResponse({"error": error.message, "code": error.code}, status_code=error.status)
    return JSONResponse({"job_id": job_id}, status_code=202)


@router.get("/ui/library/drafts/{job_id}")
def poll_draft(job_id: str, runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(draft_status(runtime, job_id))


@router.get("/library/{category}/new/draft/{job_id}", response_class=HTMLResponse)
def draft_editor(request: Request, category: str, job_id: str, runtime: RuntimeDep) -> Response:
    """The new-resource editor filled with a finished draft; back to the empty editor with a
    note while it runs, or saying why when it failed."""
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
