"""The filters of card lists (presets, library categories): query parameters <-> service
arguments, so every index page filters the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

NSFW_MODES = ("all", "hide", "only")
PAGE_SIZE = 48


@dataclass(frozen=True)
class CardFilters:
    q: str
    favourites: bool
    nsfw: str
    """all, hide or only."""
    tag: str
    """``key:value`` or ''."""
    cursor: str | None

    @property
    def active(self) -> bool:
        return bool(self.q or self.favourites or self.nsfw != "all" or self.tag)

    def service_arguments(self) -> dict[str, Any]:
        tags: dict[str, str] = {}
        key, separator, value = self.tag.partition(":")
        if separator and key.strip() and value.strip():
            tags[key.strip()] = value.strip()
        return {
            "q": self.q or None,
            "favourite": True if self.favourites else None,
            "nsfw": {"all": None, "hide": False, "only": True}[self.nsfw],
            "tags": tags or None,
            "limit": PAGE_SIZE,
            "cursor": self.cursor,
        }

    def query(self, **changes: Any) -> str:
        """This filter as a query string, with `changes` applied (None removes a key)."""
        values: dict[str, Any] = {
            "q": self.q,
            "fav": "1" if self.favourites else "",
            "nsfw": "" if self.nsfw == "all" else self.nsfw,
            "tag": self.tag,
        }
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value})


def card_filters(request: Request) -> CardFilters:
    params = request.query_params
    nsfw = params.get("nsfw", "all")
    return CardFilters(
        q=params.get("q", "").strip()[:200],
        favourites=params.get("fav") in ("1", "true", "on"),
        nsfw=nsfw if nsfw in NSFW_MODES else "all",
        tag=params.get("tag", "").strip()[:200],
        cursor=params.get("cursor") or None,
    )
