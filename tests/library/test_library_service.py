"""LibraryService and PresetService on a real SQLite database (a copy of a prepared data
folder): what the web UI calls besides the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from gaze.db.connection import Database
from gaze.library.service import LibraryService
from gaze.presets.resolve import Overrides
from gaze.presets.service import PresetService
from gaze.presets.usage import presets_using
from gaze.service_errors import Conflict, Invalid, NotFound


@pytest.fixture
def database(fresh_data: Path) -> Iterator[Database]:
    opened = Database(f"sqlite:///{fresh_data / 'gaze.db'}")
    yield opened
    opened.dispose()


@pytest.fixture
def library(database: Database, fresh_data: Path) -> LibraryService:
    return LibraryService(database, fresh_data / "uploads", outside_users=presets_using)


@pytest.fixture
def presets(database: Database, fresh_data: Path) -> PresetService:
    return PresetService(
        database, fresh_data / "uploads", checkpoints_dir=fresh_data / "models" / "checkpoints"
    )


def test_listing_every_category_at_once_pages_by_name_id_and_category(
    library: LibraryService,
) -> None:
    library.create("actions", {"id": "twin", "name": "Twin"})
    library.create("scenes", {"id": "twin", "name": "Twin"})
    whole = library.list(None, limit=None)
    assert whole.next_cursor is None
    keys = [(item["name"], item["id"], item["category"]) for item in whole.items]
    assert keys == sorted(keys)
    assert ("Twin", "twin", "actions") in keys and ("Twin", "twin", "scenes") in keys
    walked = []
    cursor = None
    while True:
        page = library.list(None, limit=3, cursor=cursor)
        walked += [(item["name"], item["id"], item["category"]) for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert walked == keys
    with pytest.raises(Invalid) as refused:
        library.list("scenes", cursor=cursor or library.list(None, limit=1).next_cursor)
    assert refused.value.code == "invalid_cursor", "a cursor of the all-categories list"


def test_duplicate_copies_under_a_new_id(library: LibraryService) -> None:
    copy = library.duplicate("characters", "aria_vale", "aria_vale_2")
    original = library.get("characters", "aria_vale")
    assert original is not None
    assert copy["name"] == "Aria Vale (copy)"
    assert copy["slug"] == "aria_vale_2"
    assert {**copy, "id": "aria_vale", "slug": "aria_vale", "name": "Aria Vale"} == original
    with pytest.raises(Conflict):
        library.duplicate("characters", "aria_vale", "aria_vale_2")
    with pytest.raises(Invalid):
        library.duplicate("characters", "aria_vale", "no/slashes")
    with pytest.raises(NotFound):
        library.duplicate("characters", "nobody", "x")


def test_covers_must_be_images_inside_the_media_folder(
    library: LibraryService, fresh_data: Path
) -> None:
    cover = fresh_data / "uploads" / "covers" / "aria.png"
    cover.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(cover)
    updated = library.set_cover("characters", "aria_vale", "covers/aria.png")
    assert updated["cover"] == "covers/aria.png"
    item = library.list("characters", q="aria").items[0]
    assert item["cover_url"] == "/static/uploads/covers/aria.png"
    for bad, reason in [
        ("covers/missing.png", "no file"),
        ("../gaze.db", "must not contain"),
        ("/etc/passwd", "must be a relative path"),
        ("covers/aria.txt", "must be an image"),
    ]:
        with pytest.raises(Invalid) as refused:
            library.set_cover("characters", "aria_vale", bad)
        assert refused.value.code == "invalid_cover"
        assert reason in refused.value.message
    assert library.set_cover("characters", "aria_vale", None)["cover"] is None
    assert library.list("characters", q="aria").items[0]["cover"] is None


def test_flags_change_the_document_and_the_order(library: LibraryService) -> None:
    assert library.list("characters").items[0]["id"] == "aria_vale"
    marked = library.set_flags("characters", "mira_holt", favourite=True, nsfw=True)
    assert (marked["is_favourite"], marked["is_nsfw"]) == (True, True)
    assert library.list("characters").items[0]["id"] == "mira_holt"
    assert library.set_flags("characters", "mira_holt", nsfw=False)["is_favourite"] is True
    assert library.list("characters", nsfw=True).items == []


def test_unknown_categories_are_invalid(library: LibraryService) -> None:
    with pytest.raises(Invalid) as refused:
        library.get("vehicles", "car")
    assert refused.value.code == "unknown_category"
    with pytest.raises(Invalid):
        library.create(None, {"id": "x", "name": "X"})  # type: ignore[arg-type]


def test_preset_cards_are_the_guide_entries(presets: PresetService) -> None:
    presets.set_flags("example_03", favourite=True)
    cards = presets.cards()
    assert cards.next_cursor is None
    assert cards.items[0] == {
        "preset_id": "example_03",
        "slug": "example_03",
        "name": "Painted Outdoors",
        "has_cover": True,
    }
    full = presets.list(limit=None).items
    assert [item["preset_id"] for item in full] == [item["preset_id"] for item in cards.items]
    assert full[0]["is_favourite"] is True
    paged = presets.cards(limit=2)
    assert len(paged.items) == 2 and paged.next_cursor is not None


def test_resolve_takes_overrides_as_an_object_or_a_mapping(presets: PresetService) -> None:
    from_mapping = presets.resolve("example_02", 5, {"width": 64, "height": 64})
    from_object = presets.resolve("example_02", 5, Overrides(width=64, height=64))
    assert from_mapping == from_object
    assert from_mapping["choices"]["size"]["source"] == "override"
    with pytest.raises(Invalid) as refused:
        presets.resolve("example_02", 5, {"width": 64})
    assert refused.value.code == "invalid_size"
    with pytest.raises(Invalid) as refused:
        presets.resolve("example_02", True)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_seed"


def test_a_preset_duplicate_gets_its_own_slug(presets: PresetService) -> None:
    copy = presets.duplicate("example_01", "example_01_b")
    assert (copy["slug"], copy["name"]) == ("example_01_b", "Example Preset (copy)")
    assert (
        presets.resolve("example_01_b", 9)["prompt"] == presets.resolve("example_01", 9)["prompt"]
    )
    presets.delete("example_01_b")
    assert presets.get("example_01_b") is None


@pytest.mark.parametrize("scene_id", ["_", "x_y", "100_done"])
def test_a_resource_with_an_unusual_id_in_use_cannot_be_deleted(
    library: LibraryService, presets: PresetService, scene_id: str
) -> None:
    library.create("scenes", {"id": scene_id, "name": "Unusual"})
    library.create("scenes", {"id": f"{scene_id}x", "name": "Unused"})
    presets.create(
        {
            "id": "uses_it",
            "name": "Uses It",
            "scenes": {"mode": "fixed", "id": scene_id},
            "checkpoint": "gaze-demo-sd15-tiny.safetensors",
        }
    )
    with pytest.raises(Conflict) as refused:
        library.delete("scenes", scene_id)
    assert "preset 'uses_it' (Uses It)" in refused.value.message
    library.delete("scenes", f"{scene_id}x")
    presets.delete("uses_it")
    library.delete("scenes", scene_id)
    assert library.get("scenes", scene_id) is None
