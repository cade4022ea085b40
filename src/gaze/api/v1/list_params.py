"""The query parameters of library lists (resources, wordlists): search, tags, flags, pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from gaze.library.listing import MAX_LIMIT

Q = Annotated[
    str | None, Query(max_length=200, description="Case-insensitive search in names and ids.")
]
TagParam = Annotated[
    list[str],
    Query(
        description="`key:value`, repeatable: resources whose organisational tag `key` is "
        "(or, for a list, contains) `value`, ignoring case.",
        examples=["origin:gaze examples"],
    ),
]
Favourite = Annotated[bool | None, Query(description="Only favourites (true) or the others.")]
Nsfw = Annotated[bool | None, Query(description="Only NSFW resources (true) or the others.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
