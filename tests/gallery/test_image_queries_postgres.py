"""The images API's gallery queries on PostgreSQL (aware timestamps, boolean ordering, OFFSET):
the same answers as on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.examples import example_library_path
from gaze.folders.transfer import import_library_folder
from gaze.gallery.filters import GalleryFilter
from gaze.gallery.service import GalleryService
from gaze.media.thumbnails import ThumbnailStore
from tests.support.gallery_images import add_gallery_image

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with scratch_postgres_database() as url:
        opened = Database(url)
        upgrade_to_head(opened.engine)
        assert import_library_folder(opened, example_library_path()).ok
        opened.dispose()
        yield url


def test_filters_random_and_records_on_postgresql(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    try:
        ids = [
            add_gallery_image(
                tmp_path,
                f"presets/example_01/gen_{1767268800 + number}.png",
                seed=number,
                characters=["aria_vale"] if number % 2 else [],
                favourite=number < 2,
                created_at=START + timedelta(minutes=number),
                database_url=database_url,
            )
            for number in range(5)
        ]
        gallery = GalleryService(database, tmp_path / "uploads", ThumbnailStore(tmp_path, tmp_path))
        preset = gallery.preset_id_for("example_01")
        assert preset == "example_01" and gallery.preset_id_for("gone") == "gone"
        since = GalleryFilter(preset=preset, since=START + timedelta(minutes=3))
        assert [card.id for card in gallery.page(since).items] == ids[:2:-1]
        others = GalleryFilter(favourite=False)
        assert [card.id for card in gallery.page(others).items] == ids[:1:-1]
        for selection, expected in (
            (GalleryFilter(favourite=True), set(ids[:2])),
            (GalleryFilter(resource="characters:aria_vale"), {ids[1], ids[3]}),
        ):
            picked = set()
            for _ in range(30):
                card = gallery.random_image(selection)
                assert card is not None
                picked.add(card.id)
            assert picked == expected
        assert gallery.random_image(GalleryFilter(preset="gone")) is None
        [record] = gallery.records(gallery.page(GalleryFilter(), 1).items)
        assert (record.preset_slug, record.preset_name) == ("example_01", "Example Preset")
        assert record.prompt == "1girl, silver hair"
    finally:
        database.dispose()
