"""The library and preset services on PostgreSQL: the same lists, cursors, filters and
in-use checks as on SQLite (collation, JSON casts and LIKE escapes differ between them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.examples import example_library_path
from gaze.folders.transfer import import_library_folder
from gaze.library.service import LibraryService
from gaze.presets.service import PresetService
from gaze.presets.usage import presets_using
from gaze.service_errors import Conflict


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    with scratch_postgres_database() as url:
        opened = Database(url)
        upgrade_to_head(opened.engine)
        assert import_library_folder(opened, example_library_path()).ok
        yield opened
        opened.dispose()


def test_lists_filter_and_page_on_postgresql(database: Database, tmp_path: Path) -> None:
    library = LibraryService(database, tmp_path, outside_users=presets_using)
    for number, name in enumerate(["Beta", "alpha", "Gamma", "beta", "Delta_%"]):
        library.create(
            "actions",
            {
                "id": f"pg_{number}",
                "name": name,
                "tags": {"kind": ["Odd", "x"] if number % 2 else "even"},
                "is_favourite": number == 4,
            },
        )
    whole = library.list("actions", q="PG_", limit=None).items
    assert whole[0]["id"] == "pg_4", "favourites first"
    walked: list[str] = []
    cursor = None
    while True:
        page = library.list("actions", q="pg_", limit=2, cursor=cursor)
        walked += [item["id"] for item in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert walked == [item["id"] for item in whole]
    odd = library.list("actions", q="pg_", tags={"kind": "odd"}, limit=1)
    first_odd = next(item["id"] for item in whole if item["id"] in ("pg_1", "pg_3"))
    assert [item["id"] for item in odd.items] == [first_odd]
    assert odd.next_cursor is not None
    assert [item["id"] for item in library.list("actions", q="%").items] == ["pg_4"]
    assert library.list("actions", q="Bet_").items == [], "'_' is no wildcard"


def test_resources_in_use_are_found_on_postgresql(database: Database, tmp_path: Path) -> None:
    library = LibraryService(database, tmp_path, outside_users=presets_using)
    presets = PresetService(database, tmp_path)
    library.create("scenes", {"id": "Cafe_Nuit", "name": "Café"})
    presets.create(
        {
            "id": "pg_uses",
            "name": "PG Uses",
            "scenes": {"mode": "random", "pool": {"kind": "list", "ids": ["Cafe_Nuit"]}},
            "checkpoint": "gaze-demo-sd15-tiny.safetensors",
        }
    )
    with pytest.raises(Conflict) as refused:
        library.delete("scenes", "Cafe_Nuit")
    assert "preset 'pg_uses' (PG Uses)" in refused.value.message
    with pytest.raises(Conflict) as refused:
        library.delete("outfits", "evening_gown")
    assert "character 'aria_vale' (wardrobe outfit 'gala')" in refused.value.message
    first = presets.resolve("pg_uses", 3)
    assert first == presets.resolve("pg_uses", 3)
    assert first["choices"]["scenes"][0]["id"] == "Cafe_Nuit"
    cards = presets.cards(limit=None).items
    assert [card["slug"] for card in cards] == [
        item["slug"] for item in presets.list(limit=None).items
    ]
