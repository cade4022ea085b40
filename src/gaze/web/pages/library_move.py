"""Moving a resource to another category from its page: pick the target, see what the move
would do (a dry run: kept and dropped fields, presets to update), confirm, land on the moved
resource's page. Presets that use the resource always follow it (``update_presets``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from gaze.library.category_move import MOVABLE_CATEGORIES
from gaze.library.service import LibraryService
from gaze.presets.resource_move import MoveOutcome, MoveRequest, move_resource
from gaze.route_deps import LibraryServiceDep, RuntimeDep
from gaze.service_errors import ServiceError
from gaze.web.csrf import verify_csrf
from gaze.web.flash import redirect_with_notice
from gaze.web.login_session import require_login
from gaze.web.page_errors import PageError
from gaze.web.rendering import CATEGORY_TITLES, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


def _stored(library: LibraryService, category: str, slug: str) -> dict[str, Any]:
    document = library.get(category, slug) if category in MOVABLE_CATEGORIES else None
    if document is None:
        raise PageError(404, f"No {category[:-1]} {slug!r} in the library.", code="not_found")
    return document


def _move_page(
    request: Request,
    category: str,
    resource: dict[str, Any],
    *,
    to: str,
    new_id: str,
    outcome: MoveOutcome | None = None,
    refusal: ServiceError | None = None,
) -> HTMLResponse:
    context = {
        "active": "library",
        "active_category": category,
        "category": category,
        "resource": resource,
        "targets": [each for each in MOVABLE_CATEGORIES if each != category],
        "to": to,
        "new_id": new_id,
        "outcome": outcome,
        "refusal": refusal.message if refusal else None,
    }
    return render(request, "library/move.html", context, refusal.status if refusal else 200)


def _request(
    category: str, resource_id: str, to: str, new_id: str, *, dry_run: bool
) -> MoveRequest:
    return MoveRequest(
        category,
        resource_id,
        to,
        new_id=new_id.strip() or None,
        update_presets=True,
        dry_run=dry_run,
    )


@router.get("/library/{category}/{slug}/move", response_class=HTMLResponse)
def move_page(
    request: Request,
    category: str,
    slug: str,
    library: LibraryServiceDep,
    runtime: RuntimeDep,
    to: str = "",
    new_id: str = "",
) -> HTMLResponse:
    """The target picker; with `to`, what the move would do (or why it cannot be done)."""
    resource = _stored(library, category, slug)
    if not to:
        return _move_page(request, category, resource, to=to, new_id=new_id)
    try:
        outcome = move_resource(
            runtime.database, _request(category, resource["id"], to, new_id, dry_run=True)
        )
    except ServiceError as refusal:
        return _move_page(request, category, resource, to=to, new_id=new_id, refusal=refusal)
    return _move_page(request, category, resource, to=to, new_id=new_id, outcome=outcome)


@router.post("/library/{category}/{slug}/move", dependencies=[Depends(verify_csrf)])
def move(
    request: Request,
    category: str,
    slug: str,
    library: LibraryServiceDep,
    runtime: RuntimeDep,
    to: str = Form(""),
    new_id: str = Form(""),
) -> Response:
    resource = _stored(library, category, slug)
    try:
        outcome = move_resource(
            runtime.database, _request(category, resource["id"], to, new_id, dry_run=False)
        )
    except ServiceError as refusal:
        return _move_page(request, category, resource, to=to, new_id=new_id, refusal=refusal)
    moved = outcome.resource
    message = f"Moved {moved['name']} to {CATEGORY_TITLES[outcome.category].lower()}"
    if outcome.presets_updated:
        count = len(outcome.presets_updated)
        message += f"; {count} preset{'s' if count > 1 else ''} updated"
    if outcome.dropped:
        message += f"; dropped {', '.join(outcome.dropped)}"
    return redirect_with_notice(f"/library/{outcome.category}/{moved['slug']}", message + ".")
