"""What a gallery listing asks for: a preset, a resource, a checkpoint, flags, a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class GalleryFilter:
    preset: str = ""
    """A preset id."""
    resource: str = ""
    """``category:id``."""
    checkpoint: str = ""
    favourites: bool = False
    nsfw: str = "all"
    before: int | None = None
    favourite: bool | None = None
    """The API's filter: only favourites (True) or only the others (False)."""
    since: datetime | None = None
    """Only images made at or after this moment (aware, UTC)."""
    sfw_only: bool = False
    """Only what a safe-for-work API key may see (`gaze.gallery.visibility`)."""
    nsfw_mentions: tuple[str, ...] = ()
    """With `sfw_only`: texts that make an image's resolution NSFW."""

    @property
    def active(self) -> bool:
        return (
            bool(self.preset or self.resource or self.checkpoint or self.favourites)
            or self.nsfw != "all"
        )

    def query(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "preset": self.preset,
            "resource": self.resource,
            "checkpoint": self.checkpoint,
            "fav": "1" if self.favourites else "",
            "nsfw": "" if self.nsfw == "all" else self.nsfw,
        }
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value})

    def resource_key(self) -> tuple[str, str] | None:
        category, separator, resource_id = self.resource.partition(":")
        return (category, resource_id) if separator and category and resource_id else None
