"""Settings: the REST API key and named keys, backends and their state, defaults, the webhook
secret, the tag vocabulary (a CSV upload), paths and version."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from gaze.library.tag_import import MAX_TAG_CSV_BYTES, TagImport, import_tag_bytes
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.route_deps import RuntimeDep
from gaze.security.api_keys import api_key_info, regenerate_api_key
from gaze.security.named_keys import (
    KeyLimits,
    KeyProblem,
    create_named_key,
    get_named_key,
    list_named_keys,
    revoke_named_key,
)
from gaze.security.principal import SCOPES
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.rendering import render
from gaze.web.views.settings_facts import settings_facts
from gaze.webhooks.secret import regenerate_webhook_secret, webhook_secret

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


NEW_KEY_COOKIE = "gaze_new_api_key"
"""Carries a just-made key to the page that shows it, once (reloading never makes another)."""
NEW_NAMED_KEY_COOKIE = "gaze_new_named_key"
"""Likewise for a just-made named key."""
SCOPE_HINTS = {
    "read": "presets, library, images, its own jobs",
    "generate": "read, plus generate; cancel and retry its own jobs",
    "library": "read, plus write the library, presets and images",
    "admin": "everything: keys and every job",
}


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    new_key = request.cookies.get(NEW_KEY_COOKIE)
    new_named_key = request.cookies.get(NEW_NAMED_KEY_COOKIE)
    response = render(
        request,
        "settings.html",
        {
            "active": "settings",
            "api_key": api_key_info(runtime.database),
            "new_key": new_key,
            "named_keys": list_named_keys(runtime.database),
            "new_named_key": new_named_key,
            "scope_hints": {scope: SCOPE_HINTS[scope] for scope in SCOPES},
            "facts": settings_facts(runtime),
            "webhook_secret": webhook_secret(runtime.database),
            "tag_count": TagVocabulary(runtime.database).count(),
            "max_tag_csv_mb": MAX_TAG_CSV_BYTES // (1024 * 1024),
        },
        headers={"Cache-Control": "no-store"},
    )
    for cookie, value in ((NEW_KEY_COOKIE, new_key), (NEW_NAMED_KEY_COOKIE, new_named_key)):
        if value:
            response.delete_cookie(cookie, path="/settings", httponly=True, samesite="strict")
    return response


@router.post("/settings/api-key", dependencies=[Depends(verify_csrf)])
def regenerate_key(request: Request, runtime: RuntimeDep) -> RedirectResponse:
    key = regenerate_api_key(runtime.database)
    runtime.keys.invalidate()  # the old key stops working at once in this process
    response = RedirectResponse("/settings#api-key", status_code=303)
    _show_once(request, response, NEW_KEY_COOKIE, key)
    return response


def _show_once(request: Request, response: Response, cookie: str, secret: str) -> None:
    """Hand a just-made secret to the next page view, which shows it and drops it."""
    response.set_cookie(
        cookie,
        secret,
        max_age=120,
        path="/settings",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _limit_field(form: FormData, name: str, label: str) -> int | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise KeyProblem(f"{label}: a whole number, or empty for no limit.")
    return int(text)


def _limits_from(form: FormData) -> KeyLimits:
    return KeyLimits(
        scopes=frozenset(str(scope) for scope in form.getlist("scopes")),
        sfw_only=form.get("sfw_only") == "1",
        daily_quota=_limit_field(form, "daily_quota", "Images per day"),
        rate_per_minute=_limit_field(form, "rate_per_minute", "Requests per minute"),
        high_priority=form.get("high_priority") == "1",
    )


@router.post("/settings/keys", dependencies=[Depends(verify_csrf)])
async def create_key(request: Request, runtime: RuntimeDep) -> RedirectResponse:
    """Make a named key; the next page shows its secret once."""
    form = await request.form()
    try:
        limits = _limits_from(form)
        key, secret = await run_in_threadpool(
            create_named_key, runtime.database, str(form.get("name") or ""), limits
        )
    except KeyProblem as problem:
        return redirect_with_notice("/settings#named-keys", f"No key made: {problem}", "error")
    runtime.keys.invalidate()
    response = redirect_with_notice("/settings#named-keys", f"Made the key '{key.name}'.")
    _show_once(request, response, NEW_NAMED_KEY_COOKIE, secret)
    return response


@router.post("/settings/keys/{key_id}/revoke", dependencies=[Depends(verify_csrf)])
def revoke_key(key_id: str, runtime: RuntimeDep) -> RedirectResponse:
    key = get_named_key(runtime.database, key_id)
    if key is None or not revoke_named_key(runtime.database, key_id):
        return redirect_with_notice("/settings#named-keys", "No such key.", "error")
    runtime.keys.invalidate()
    return redirect_with_notice(
        "/settings#named-keys", f"Revoked '{key.name}': it stops working at once."
    )


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
