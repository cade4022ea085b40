"""Settings: the REST API key, backends and their state, defaults, the webhook secret, the tag
vocabulary (a CSV upload), paths and version."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from gaze.library.tag_import import MAX_TAG_CSV_BYTES, TagImport, import_tag_bytes
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.route_deps import RuntimeDep
from gaze.security.api_keys import api_key_info, regenerate_api_key
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.rendering import render
from gaze.web.views.settings_facts import settings_facts
from gaze.webhooks.secret import regenerate_webhook_secret, webhook_secret

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


NEW_KEY_COOKIE = "gaze_new_api_key"
"""Carries a just-made key to the page that shows it, once (reloading never makes another)."""


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    new_key = request.cookies.get(NEW_KEY_COOKIE)
    response = render(
        request,
        "settings.html",
        {
            "active": "settings",
            "api_key": api_key_info(runtime.database),
            "new_key": new_key,
            "facts": settings_facts(runtime),
            "webhook_secret": webhook_secret(runtime.database),
            "tag_count": TagVocabulary(runtime.database).count(),
            "max_tag_csv_mb": MAX_TAG_CSV_BYTES // (1024 * 1024),
        },
        headers={"Cache-Control": "no-store"},
    )
    if new_key:
        response.delete_cookie(NEW_KEY_COOKIE, path="/settings", httponly=True, samesite="strict")
    return response


@router.post("/settings/api-key", dependencies=[Depends(verify_csrf)])
def regenerate_key(request: Request, runtime: RuntimeDep) -> RedirectResponse:
    key = regenerate_api_key(runtime.database)
    response = RedirectResponse("/settings#api-key", status_code=303)
    response.set_cookie(
        NEW_KEY_COOKIE,
        key,
        max_age=120,
        path="/settings",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/settings/webhook-secret", dependencies=[Depends(verify_csrf)])
def regenerate_webhook_signing_secret(runtime: RuntimeDep) -> RedirectResponse:
    regenerate_webhook_secret(runtime.database)
    return redirect_with_notice(
        "/settings#webhooks", "New webhook secret: webhooks are signed with it from now on."
    )


SHOWN_PROBLEMS = 3


def _imported_notice(name: str, imported: TagImport) -> str:
    library_only = imported.stored - imported.from_file
    notice = (
        f"Imported {imported.from_file:,} tags from {name}"
        f" and {library_only:,} more the library uses."
    )
    if imported.problems:
        shown = "; ".join(imported.problems[:SHOWN_PROBLEMS])
        notice += f" Skipped {len(imported.problems):,} bad lines: {shown}"
        notice += "; ..." if len(imported.problems) > SHOWN_PROBLEMS else "."
    return notice


@router.post("/settings/tags", dependencies=[Depends(verify_csrf)])
async def import_tags(
    runtime: RuntimeDep, file: UploadFile | None = File(None)
) -> RedirectResponse:
    """Replace the tag vocabulary with an uploaded tag-autocomplete CSV (in a worker thread:
    200,000 lines take seconds)."""
    data = await file.read(MAX_TAG_CSV_BYTES + 1) if file is not None else b""
    if not data.strip():
        return redirect_with_notice("/settings#tags", "Choose a tag CSV file first.", "error")
    if len(data) > MAX_TAG_CSV_BYTES:
        message = f"The tag CSV is over {MAX_TAG_CSV_BYTES // (1024 * 1024)} MB."
        return redirect_with_notice("/settings#tags", message, "error")
    imported = await run_in_threadpool(import_tag_bytes, runtime.database, data)
    kind = "warning" if imported.problems else "ok"
    name = (file.filename if file is not None else None) or "the file"
    return redirect_with_notice("/settings#tags", _imported_notice(name, imported), kind)
