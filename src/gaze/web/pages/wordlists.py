"""The library's wordlists (what ``__name__`` wildcards pick from): an index with line counts
and a search, a page per wordlist (name, description and lines in a textarea), creating one,
uploading a ``.txt`` as its lines, and deleting it. URLs use the slug (``colors/warm`` is
``/library/wordlists/colors__warm``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gaze.library.wordlist_schema import MAX_WORDLIST_BYTES, lines_from_text, usable_lines
from gaze.library.wordlists import WordlistCollection, text_lines
from gaze.route_deps import LibraryServiceDep
from gaze.service_errors import ServiceError
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.list_filters import PAGE_SIZE
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.rendering import render
from gaze.web.service_errors import as_page_errors, problems_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])

INDEX = "/library/wordlists"


def _context(**values: Any) -> dict[str, Any]:
    return {"active": "library", "active_category": "wordlists", **values}


def _stored(wordlists: WordlistCollection, slug: str) -> dict[str, Any]:
    document = wordlists.get(slug)
    if document is None:
        raise PageError(404, f"No wordlist {slug!r} in the library.", code="wordlist_not_found")
    return document


def line_count(document: dict[str, Any]) -> int:
    """How many lines wildcards pick from (blank lines and ``#`` comments left out)."""
    return len(usable_lines(document.get("lines") or []))


@router.get(INDEX, response_class=HTMLResponse)
def wordlist_index(request: Request, library: LibraryServiceDep) -> HTMLResponse:
    q = request.query_params.get("q", "").strip()[:200]
    cursor = request.query_params.get("cursor") or None
    wordlists = library.wordlists()
    with as_page_errors():
        page = wordlists.list(q=q or None, limit=PAGE_SIZE, cursor=cursor)
    items = []
    for item in page.items:
        document = wordlists.get(item["id"]) or {}
        items.append({**item, "lines": line_count(document)})
    context = _context(items=items, q=q, next_cursor=page.next_cursor)
    return render(request, "library/wordlists.html", context)


def _new_page(request: Request, document: dict[str, Any], problems: list[str]) -> HTMLResponse:
    context = _context(wordlist=document, lines_text="\n".join(document.get("lines", [])))
    context.update(creating=True, problems=problems)
    return render(request, "library/wordlist_new.html", context, 400 if problems else 200)


@router.get(f"{INDEX}/new", response_class=HTMLResponse)
def new_wordlist(request: Request) -> HTMLResponse:
    return _new_page(request, {"id": "", "name": "", "description": "", "lines": []}, [])


async def _uploaded_lines(upload: UploadFile | None) -> list[str] | None:
    """The lines of an uploaded ``.txt``, None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    raw = await upload.read(MAX_WORDLIST_BYTES + 1)
    with as_page_errors():
        return text_lines(raw)


@router.post(f"{INDEX}/new", dependencies=[Depends(verify_csrf)])
async def create_wordlist(
    request: Request,
    library: LibraryServiceDep,
    id: str = Form(""),
    name: str = Form(""),
    description: str = Form(""),
    lines: str = Form(""),
    upload: UploadFile | None = File(None),
) -> Response:
    wordlist_id = id.strip()
    uploaded = await _uploaded_lines(upload)
    document = {
        "id": wordlist_id,
        "name": name.strip() or wordlist_id,
        "description": description.strip(),
        "lines": uploaded if uploaded is not None else lines_from_text(lines),
    }
    try:
        created = await run_in_threadpool(library.wordlists().create, document)
    except ServiceError as error:
        return _new_page(request, document, problems_of(error))
    return redirect_with_notice(f"{INDEX}/{created['slug']}", f"Created {created['name']}.")


@router.get(INDEX + "/{slug}", response_class=HTMLResponse)
def wordlist_page(request: Request, slug: str, library: LibraryServiceDep) -> HTMLResponse:
    document = _stored(library.wordlists(), slug)
    context = _context(
        wordlist=document,
        lines_text="\n".join(document["lines"]),
        line_total=line_count(document),
        creating=False,
        problems=[],
    )
    return render(request, "library/wordlist_detail.html", context)


def _refused(slug: str, error: ServiceError) -> Response:
    problems = "; ".join(problems_of(error))
    return redirect_with_notice(f"{INDEX}/{slug}", f"Not saved: {problems}", "error")


@router.post(INDEX + "/{slug}/edit", dependencies=[Depends(verify_csrf)])
async def save_wordlist(
    slug: str,
    library: LibraryServiceDep,
    name: str = Form(""),
    description: str = Form(""),
    lines: str = Form(""),
) -> Response:
    wordlists = library.wordlists()
    stored = _stored(wordlists, slug)
    changes = {
        "name": name.strip(),
        "description": description.strip(),
        "lines": lines_from_text(lines),
    }
    try:
        saved = await run_in_threadpool(wordlists.patch, stored["id"], changes)
    except ServiceError as error:
        return _refused(stored["slug"], error)
    return redirect_with_notice(f"{INDEX}/{saved['slug']}", f"Saved {saved['name']}.")


@router.post(INDEX + "/{slug}/upload", dependencies=[Depends(verify_csrf)])
async def upload_lines(
    slug: str, library: LibraryServiceDep, upload: UploadFile | None = File(None)
) -> Response:
    """A ``.txt`` file's lines replace the wordlist's lines (its other fields stay)."""
    wordlists = library.wordlists()
    stored = _stored(wordlists, slug)
    lines = await _uploaded_lines(upload)
    if lines is None:
        raise PageError(400, "Choose a .txt file to upload.", code="no_file_chosen")
    try:
        saved = await run_in_threadpool(wordlists.patch, stored["id"], {"lines": lines})
    except ServiceError as error:
        return _refused(stored["slug"], error)
    count = line_count(saved)
    return redirect_with_notice(
        f"{INDEX}/{saved['slug']}", f"Uploaded {upload.filename if upload else ''}: {count} lines."
    )


@router.post(INDEX + "/{slug}/delete", dependencies=[Depends(verify_csrf)])
def delete_wordlist(slug: str, library: LibraryServiceDep) -> Response:
    wordlists = library.wordlists()
    stored = _stored(wordlists, slug)
    with as_page_errors():
        wordlists.delete(stored["id"])
    return redirect_with_notice(INDEX, f"Deleted the wordlist {stored['name']}.")
