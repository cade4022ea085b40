"""The outfits a character's wardrobe rows can name."""

from __future__ import annotations

from typing import Any

from gaze.library.service import LibraryService


def outfit_choices(library: LibraryService, category: str) -> list[dict[str, Any]]:
    """Every outfit resource (id, name...) for a character's editor; none for other categories."""
    if category != "characters":
        return []
    return list(library.list("outfits", limit=None).items)
