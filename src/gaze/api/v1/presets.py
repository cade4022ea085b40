"""`GET /api/v1/presets`: every preset, in the guide's shape."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from gaze.api.auth import require_api_key
from gaze.api.schemas import ERROR_RESPONSES, PresetList, PresetSummary
from gaze.presets.store import PresetStore
from gaze.runtime import Runtime

router = APIRouter(dependencies=[Depends(require_api_key)], tags=["presets"])


@router.get(
    "/presets", summary="List presets", response_model=PresetList, responses=ERROR_RESPONSES
)
def list_presets(request: Request) -> PresetList:
    runtime: Runtime = request.app.state.runtime
    return PresetList(
        presets=[
            PresetSummary(
                preset_id=card.id, slug=card.slug, name=card.name, has_cover=card.cover is not None
            )
            for card in PresetStore(runtime.database).cards()
        ]
    )
