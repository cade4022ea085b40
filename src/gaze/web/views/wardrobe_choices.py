"""The outfits a character's wardrobe rows can name."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from gaze.web.services import library_service


def outfit_choices(request: Request, category: str) -> list[dict[str, Any]]:
    """Every outfit resource (id, name...) for a character's editor; none for other categories."""
    if category != "characters":
        return []
    return list(library_service(request).list("outfits", limit=None).items)
