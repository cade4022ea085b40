"""Moving a resource to another category with the presets that use it, on a real SQLite
database (a copy of a prepared data folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gaze.db.connection import Database
from gaze.library.service import LibraryService
from gaze.presets.resource_move import MoveRequest, move_resource
from gaze.presets.service import PresetService
from gaze.presets.usage import presets_using
from gaze.service_errors import Conflict, Invalid, NotFound

CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


@pytest.fixture
def database(fresh_data: Path) -> Iterator[Database]:
    opened = Database(f"sqlite:///{fresh_data / 'gaze.db'}")
    yield opened
    opened.dispose()


@pytest.fixture
def library(database: Database, fresh_data: Path) -> LibraryService:
    library = LibraryService(database, fresh_data / "uploads", outside_users=presets_using)
    for category, resource_id, section in (
        ("outfits", "rain_coat", "outfit"),
        ("outfits", "gown", "outfit"),
        ("looks", "freckled", "look"),
        ("looks", "pale", "look"),
        ("detailers", "sharp", "detail"),
        ("styles", "ink", "style"),
    ):
        library.create(
            category,
            {
                "id": resource_id,
                "name": resource_id.replace("_", " ").title(),
                "fields": {section: {"main": f"{resource_id} tags", "extra": "more"}},
            },
        )
    return library


@pytest.fixture
def presets(database: Database, fresh_data: Path, library: LibraryService) -> PresetService:
    """The presets, beside a library holding the resources the tests use."""
    return PresetService(
        database, fresh_data / "uploads", checkpoints_dir=fresh_data / "models" / "checkpoints"
    )


def preset(presets: PresetService, preset_id: str, **slots: Any) -> dict[str, Any]:
    return presets.create(
        {"id": preset_id, "name": preset_id.title(), "checkpoint": CHECKPOINT, **slots}
    )


def move(database: Database, category: str, resource_id: str, to: str, **options: Any) -> Any:
    return move_resource(database, MoveRequest(category, resource_id, to, **options))


def test_a_fixed_outfit_becomes_the_fixed_look_of_its_presets(
    database: Database, library: LibraryService, presets: PresetService
) -> None:
    preset(
        presets,
        "rainy",
        outfits={"mode": "fixed", "id": "rain_coat", "fields": ["outfit::main"]},
    )
    outcome = move(database, "outfits", "rain_coat", "looks", update_presets=True)
    assert outcome.category == "looks"
    assert [update.id for update in outcome.presets_updated] == ["rainy"]
    stored = presets.get("rainy")
    assert stored is not None
    assert stored["outfits"]["mode"] == "none"
    assert stored["looks"] == {
        "mode": "fixed",
        "id": "rain_coat",
        "pool": None,
        "fields": ["outfit::main"],
    }
    assert library.get("outfits", "rain_coat") is None
    assert library.get("looks", "rain_coat") == outcome.resource
    assert "rain_coat tags" in presets.resolve("rainy", 7)["prompt"]


def test_without_update_presets_every_user_is_named_and_nothing_moves(
    database: Database, library: LibraryService, presets: PresetService
) -> None:
    preset(presets, "one", outfits={"mode": "fixed", "id": "rain_coat"})
    preset(
        presets,
        "two",
        outfits={"mode": "random", "pool": {"kind": "list", "ids": ["gown", "rain_coat"]}},
    )
    with pytest.raises(Conflict) as refused:
        move(database, "outfits", "rain_coat", "looks")
    assert refused.value.code == "used_by_presets"
    assert "preset 'one' (One)" in refused.value.message
    assert "preset 'two' (Two)" in refused.value.message
    assert library.get("outfits", "rain_coat") is not None
    assert library.get("looks", "rain_coat") is None


def test_a_list_pool_loses_the_id_which_joins_the_targets_list_pool(
    database: Database, presets: PresetService
) -> None:
    preset(
        presets,
        "mixed",
        outfits={"mode": "random", "pool": {"kind": "list", "ids": ["gown", "rain_coat"]}},
        looks={"mode": "random", "pool": {"kind": "list", "ids": ["freckled"]}},
    )
    preset(
        presets,
        "plain",
        outfits={"mode": "random", "pool": {"kind": "list", "ids": ["rain_coat", "gown"]}},
    )
    outcome = move(database, "outfits", "rain_coat", "looks", update_presets=True)
    mixed, plain = presets.get("mixed"), presets.get("plain")
    assert mixed is not None and plain is not None
    assert mixed["outfits"]["pool"]["ids"] == ["gown"]
    assert mixed["looks"]["pool"]["ids"] == ["freckled", "rain_coat"]
    assert plain["outfits"]["pool"]["ids"] == ["gown"]
    assert plain["looks"]["mode"] == "none", "a look the preset never chose is not added"
    changes = {update.id: update.changes for update in outcome.presets_updated}
    assert changes["plain"][-1] == "looks: 'rain_coat' not added (the slot has no list pool)"
    for seed in range(5):
        presets.resolve("mixed", seed)


def test_a_pool_of_only_the_resource_becomes_a_fixed_slot(
    database: Database, presets: PresetService
) -> None:
    preset(
        presets,
        "only",
        outfits={"mode": "random", "pool": {"kind": "list", "ids": ["rain_coat"]}},
    )
    move(database, "outfits", "rain_coat", "looks", update_presets=True)
    stored = presets.get("only")
    assert stored is not None
    assert stored["outfits"]["mode"] == "none"
    assert (stored["looks"]["mode"], stored["looks"]["id"]) == ("fixed", "rain_coat")


def test_a_used_target_slot_refuses_the_whole_move_naming_the_preset(
    database: Database, library: LibraryService, presets: PresetService
) -> None:
    preset(presets, "free", outfits={"mode": "fixed", "id": "rain_coat"})
    preset(
        presets,
        "busy",
        outfits={"mode": "fixed", "id": "rain_coat"},
        looks={"mode": "fixed", "id": "pale"},
    )
    before = presets.get("free")
    with pytest.raises(Conflict) as refused:
        move(database, "outfits", "rain_coat", "looks", update_presets=True)
    assert refused.value.code == "preset_conflict"
    assert "preset 'busy' (Busy): its looks slot is already used (fixed 'pale')" in (
        refused.value.message
    )
    assert "'free'" not in refused.value.message
    assert presets.get("free") == before, "no preset is half-moved"
    assert library.get("outfits", "rain_coat") is not None


def test_a_detailer_count_the_pool_cannot_fill_is_refused(
    database: Database, library: LibraryService, presets: PresetService
) -> None:
    library.create("detailers", {"id": "soft", "name": "Soft"})
    preset(
        presets,
        "two_of",
        detailers={
            "mode": "random",
            "count": 2,
            "pool": {"kind": "list", "ids": ["sharp", "soft"]},
        },
    )
    with pytest.raises(Conflict) as refused:
        move(database, "detailers", "sharp", "styles", new_id="sharp_style", update_presets=True)
    assert "fewer than it picks (2)" in refused.value.message


def test_a_detailer_joins_a_fixed_detailer_list(
    database: Database, library: LibraryService, presets: PresetService
) -> None:
    library.create("styles", {"id": "glow", "name": "Glow", "fields": {"s": {"a": "glow"}}})
    preset(
        presets,
        "glowing",
        styles={"mode": "fixed", "id": "glow"},
        detailers={"mode": "fixed", "id": "sharp"},
    )
    move(database, "styles", "glow", "detailers", update_presets=True)
    stored = presets.get("glowing")
    assert stored is not None
    assert stored["styles"]["mode"] == "none"
    assert stored["detailers"]["ids"] == ["sharp", "glow"]
    assert stored["detailers"]["id"] is None
    assert "glow" in presets.resolve("glowing", 3)["prompt"]


def test_a_dry_run_answers_and_changes_nothing(
    database: Database, library: LibraryService, presets: PresetService
) -> None:
    preset(presets, "rainy", outfits={"mode": "fixed", "id": "rain_coat"})
    before = presets.get("rainy")
    outcome = move(database, "outfits", "rain_coat", "looks", update_presets=True, dry_run=True)
    assert outcome.dry_run is True
    assert [update.id for update in outcome.presets_updated] == ["rainy"]
    assert outcome.resource["id"] == "rain_coat"
    assert presets.get("rainy") == before
    assert library.get("outfits", "rain_coat") is not None
    assert library.get("looks", "rain_coat") is None


def test_an_id_taken_in_the_target_is_refused_unless_a_new_id_is_given(
    database: Database, library: LibraryService, presets: PresetService
) -> None:
    library.create("looks", {"id": "rain_coat", "name": "Another"})
    preset(presets, "rainy", outfits={"mode": "fixed", "id": "rain_coat"})
    with pytest.raises(Conflict) as refused:
        move(database, "outfits", "rain_coat", "looks", update_presets=True)
    assert refused.value.code == "already_exists"
    assert "'rain_coat'" in refused.value.message
    outcome = move(
        database, "outfits", "rain_coat", "looks", update_presets=True, new_id="rain_look"
    )
    assert outcome.resource["id"] == "rain_look"
    stored = presets.get("rainy")
    assert stored is not None and stored["looks"]["id"] == "rain_look"


def test_an_outfit_worn_in_a_wardrobe_is_refused_naming_the_character(
    database: Database, library: LibraryService
) -> None:
    library.create(
        "characters",
        {
            "id": "nova",
            "name": "Nova",
            "wardrobe": {"wet": {"outfit_id": "rain_coat"}},
            "active_outfit": "wet",
        },
    )
    with pytest.raises(Conflict) as refused:
        move(database, "outfits", "rain_coat", "looks", update_presets=True)
    assert refused.value.code == "worn_by_characters"
    assert "character 'nova' (wardrobe outfit 'wet')" in refused.value.message


def test_bad_requests_name_the_problem(database: Database, library: LibraryService) -> None:
    with pytest.raises(Invalid) as same:
        move(database, "outfits", "rain_coat", "outfits")
    assert same.value.code == "same_category"
    with pytest.raises(Invalid) as unknown:
        move(database, "outfits", "rain_coat", "hats")
    assert unknown.value.code == "unknown_category" and "'hats'" in unknown.value.message
    with pytest.raises(NotFound) as missing:
        move(database, "outfits", "umbrella", "looks")
    assert missing.value.code == "outfit_not_found"
    with pytest.raises(Invalid) as body:
        MoveRequest.from_json("outfits", "rain_coat", {"too": "looks", "dry_run": "yes"})
    assert body.value.problems == [
        "too: unknown field",
        "to: required, the category to move the resource to",
        "dry_run: must be true or false",
    ]
