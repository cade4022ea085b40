"""Creating, editing (by form or as JSON) and importing library resources."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.library.json_input import parse_json_document
from gaze.library.service import LibraryService, every_field_address, with_warnings
from gaze.library.tag_vocabulary import TagVocabulary
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
from gaze.web.resource_form import resource_document, resource_editor_state
from gaze.web.service_errors import problems_of
from gaze.web.views.wardrobe_choices import outfit_choices

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

NEW_SECTIONS: dict[str, dict[str, Any]] = {
    "characters": {"identity": {"base": ""}, "fields": {"expression": {"default": ""}}},
}
MAX_IMPORT_ITEMS = 500


def _category(category: str) -> str:
    if category not in CATEGORY_TITLES:
        raise PageError(404, f"No library category {category!r}.", code="unknown_category")
    return category


def _new_page(
    request: Request,
    runtime: Runtime,
    category: str,
    document: dict[str, Any],
    problems: list[str],
) -> HTMLResponse:
    return render(
        request,
        "library/new.html",
        {
            "active": "library",
            "active_category": category,
            "category": category,
            "state": resource_editor_state(category, document),
            "loras": lora_choices(runtime),
            "outfits": outfit_choices(runtime.library_service(), category),
            "creating": True,
            "problems": problems,
        },
        status=400 if problems else 200,
    )


@router.get("/library/{category}/new", response_class=HTMLResponse)
def new_resource(request: Request, category: str, runtime: RuntimeDep) -> HTMLResponse:
    _category(category)
    template = NEW_SECTIONS.get(category, {"fields": {"main": {"tags": ""}}})
    document = {"id": "", "name": "", **template}
    document["default_fields"] = every_field_address(category, document)
    return _new_page(request, runtime, category, document, [])


@router.post("/library/{category}/new", dependencies=[Depends(verify_csrf)])
async def create_resource(
    request: Request, category: str, runtime: RuntimeDep, library: LibraryServiceDep
) -> Response:
    _category(category)
    document = resource_document(category, await form_lists(request), None)
    try:
        created = library.create(category, document)
    except ServiceError as error:
        return _new_page(request, runtime, category, document, problems_of(error))
    return await _saved_notice(runtime, category, created, "Created")


async def _saved_notice(
    runtime: Runtime, category: str, saved: dict[str, Any], done: str
) -> Response:
    """Back to the resource, saying what will not work yet (a LoRA file no backend has) and
    which prompt tags the vocabulary knows only as an alias, or not at all."""
    url = f"/library/{category}/{saved['slug']}"
    lists = await run_in_threadpool(runtime.model_lists)
    vocabulary = TagVocabulary(runtime.database)
    warned = await run_in_threadpool(with_warnings, saved, lists, None, vocabulary)
    warnings = warned.get("warnings")
    if warnings:
        return redirect_with_notice(
            url, f"{done} {saved['name']}, but: {'; '.join(warnings)}.", "warning"
        )
    return redirect_with_notice(url, f"{done} {saved['name']}.")


def _stored(library: LibraryService, category: str, slug: str) -> dict[str, Any]:
    document = library.get(_category(category), slug)
    if document is None:
        raise PageError(
            404, f"No {category[:-1]} {slug!r} in the library.", code="resource_not_found"
        )
    return document


def _refused(category: str, slug: str, error: ServiceError) -> Response:
    problems = "; ".join(problems_of(error))
    return redirect_with_notice(f"/library/{category}/{slug}", f"Not saved: {problems}", "error")


@router.post("/library/{category}/{slug}/edit", dependencies=[Depends(verify_csrf)])
async def save_resource(
    request: Request, category: str, slug: str, runtime: RuntimeDep, library: LibraryServiceDep
) -> Response:
    stored = _stored(library, category, slug)
    document = resource_document(category, await form_lists(request), stored)
    try:
        saved = library.replace(category, stored["id"], document)
    except ServiceError as error:
        return _refused(category, stored["slug"], error)
    return await _saved_notice(runtime, category, saved, "Saved")


@router.post("/library/{category}/{slug}/json", dependencies=[Depends(verify_csrf)])
async def save_resource_json(
    request: Request, category: str, slug: str, runtime: RuntimeDep, library: LibraryServiceDep
) -> Response:
    stored = _stored(library, category, slug)
    text = (await form_lists(request)).get("document", [""])[-1]
    try:
        document = parse_json_document(text.encode("utf-8"))
        saved = library.replace(category, stored["id"], document)
    except ServiceError as error:
        return _refused(category, stored["slug"], error)
    return await _saved_notice(runtime, category, saved, "Saved")


@router.post("/library/{category}/import", dependencies=[Depends(verify_csrf)])
async def import_resources(
    category: str, service: LibraryServiceDep, upload: UploadFile | None = File(None)
) -> Response:
    """A JSON file holding one resource document, or a list of them."""
    _category(category)
    if upload is None or not upload.filename:
        raise PageError(400, "Choose a JSON file to import.", code="no_file_chosen")
    try:
        parsed = parse_json_document(await upload.read())
    except ServiceError as error:
        return redirect_with_notice(
            f"/library/{category}", f"Not imported: {error.message}", "error"
        )
    documents = parsed if isinstance(parsed, list) else [parsed]
    if len(documents) > MAX_IMPORT_ITEMS:
        raise PageError(
            400, f"At most {MAX_IMPORT_ITEMS} resources per file.", code="too_many_items"
        )
    created: list[str] = []
    refused: list[str] = []
    for index, document in enumerate(documents):
        try:
            created.append(service.create(category, document)["name"])
        except ServiceError as error:
            label = document.get("id") if isinstance(document, dict) else None
            refused.append(f"{label or f'item {index + 1}'}: {'; '.join(problems_of(error))}")
    if refused:
        summary = f"Imported {len(created)}, refused {len(refused)}: " + " | ".join(refused)
        return redirect_with_notice(f"/library/{category}", summary, "error")
    names = ", ".join(created[:5]) + (" …" if len(created) > 5 else "")
    return redirect_with_notice(f"/library/{category}", f"Imported {len(created)}: {names}")
