"""Slot overrides and recipes, resolved against an in-memory library."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaze.presets.recipe import composed_label, preset_from_recipe, recipe_preset
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.presets.schema import CharacterSlot, DetailerSlot, Slot
from gaze.presets.slot_overrides import parse_slot_overrides, unknown_slot_ids
from gaze.service_errors import Invalid
from tests.presets.builders import SD1, library, numbered, preset, resource

LIBRARY = library(
    *numbered("characters", 4),
    *numbered("outfits", 5),
    *numbered("scenes", 3),
    *numbered("detailers", 3),
    resource("characters", "nova_quinn", name="Nova Quinn"),
    resource("outfits", "rain_jacket", name="Rain Jacket"),
)
PRESET = preset(
    characters={"mode": "random"},
    outfits={"mode": "random"},
    scenes={"mode": "fixed", "id": "scenes_01"},
)


def picked(overrides: dict[str, Any], seed: int = 7) -> dict[str, list[str]]:
    slots = parse_slot_overrides(overrides)
    choices = resolve_preset(PRESET, LIBRARY, Overrides(slots=slots), seed).choices
    return {
        category: [pick["id"] for pick in choices[category]]
        for category in ("characters", "outfits", "scenes", "detailers")
    }


def problems(call: Any, *args: Any) -> list[str]:
    with pytest.raises(Invalid) as raised:
        call(*args)
    return raised.value.problems


def test_each_form_of_override() -> None:
    before = picked({})
    after = picked(
        {
            "characters": "nova_quinn",
            "outfits": {"mode": "random", "pool": {"kind": "list", "ids": ["rain_jacket"]}},
            "scenes": None,
            "detailers": "detailers_02",
        }
    )
    assert after == {
        "characters": ["nova_quinn"],
        "outfits": ["rain_jacket"],
        "scenes": [],
        "detailers": ["detailers_02"],
    }
    assert before["scenes"] == ["scenes_01"] and before["detailers"] == []


def test_slots_not_named_keep_the_presets_picks() -> None:
    for seed in range(20):
        before, after = picked({}, seed), picked({"scenes": None}, seed)
        assert after["characters"] == before["characters"]
        assert after["outfits"] == before["outfits"]


def test_an_override_equal_to_the_presets_slot_changes_nothing() -> None:
    for seed in range(20):
        assert picked({"outfits": {"mode": "random"}}, seed) == picked({}, seed)


def test_the_slot_classes_follow_the_category() -> None:
    slots = parse_slot_overrides({"characters": "a", "detailers": "b", "scenes": "c"})
    assert isinstance(slots["characters"], CharacterSlot)
    assert isinstance(slots["detailers"], DetailerSlot)
    assert slots["detailers"].fixed_ids() == ["b"]
    assert type(slots["scenes"]) is Slot


@pytest.mark.parametrize(
    ("value", "part"),
    [
        ([], "slots: must be an object"),
        ({"weapons": "x"}, "slots.weapons: unknown category"),
        ({"characters": 3}, "slots.characters: must be a resource id, a slot object or null"),
        ({"characters": "bad id!"}, "slots.characters: "),
        ({"outfits": {"mode": "sometimes"}}, "slots.outfits.mode"),
        ({"outfits": {"mode": "fixed"}}, "slots.outfits.id: a fixed slot needs the id"),
        ({"scenes": {"mode": "random", "pool": {"kind": "list"}}}, "slots.scenes.pool.ids"),
    ],
)
def test_bad_overrides_name_the_field(value: Any, part: str) -> None:
    found = problems(parse_slot_overrides, value)
    assert any(line.startswith(part) for line in found), found


def test_every_problem_is_named_at_once() -> None:
    found = problems(parse_slot_overrides, {"weapons": 1, "characters": 2})
    assert len(found) == 2


def test_unknown_ids_are_all_named() -> None:
    slots = parse_slot_overrides(
        {
            "characters": "nobody",
            "outfits": {"mode": "random", "pool": {"kind": "list", "ids": ["rain_jacket", "x"]}},
            "detailers": {"mode": "fixed", "ids": ["detailers_00", "y", "z"]},
        }
    )
    assert unknown_slot_ids(slots, LIBRARY) == [
        "slots.characters: unknown characters id 'nobody'",
        "slots.outfits: unknown outfits id 'x'",
        "slots.detailers: unknown detailers id 'y'",
        "slots.detailers: unknown detailers id 'z'",
    ]


def test_a_recipe_takes_the_shorthand_beside_and_in_slots() -> None:
    recipe = recipe_preset(
        {
            "slots": {"characters": "nova_quinn", "scenes": None},
            "outfits": "rain_jacket",
            "checkpoint": SD1,
            "positive": "smiling",
        }
    )
    assert recipe.characters.mode == "fixed" and recipe.characters.id == "nova_quinn"
    assert recipe.outfits.id == "rain_jacket" and recipe.scenes.mode == "none"
    resolved = resolve_preset(recipe, LIBRARY, Overrides(), 3)
    assert resolved.spec.positive.endswith("smiling")
    assert composed_label(recipe, LIBRARY) == "Composed: Nova Quinn, Rain Jacket"
    random = recipe_preset({"characters": {"mode": "random"}, "checkpoint": SD1})
    assert composed_label(random, LIBRARY) == "Composed: random"


@pytest.mark.parametrize(
    ("recipe", "part"),
    [
        ("x", "recipe: must be a JSON object"),
        ({"slots": {"characters": "a"}, "characters": "b"}, "recipe.slots.characters: given"),
        ({"slots": {"guns": "a"}}, "recipe.slots.guns: unknown category"),
        ({"width": 512}, "recipe.height"),
        ({"steps": "many"}, "recipe.steps"),
        ({"hires": {"scale": 9}}, "recipe.hires.scale"),
    ],
)
def test_bad_recipes_name_the_field(recipe: Any, part: str) -> None:
    found = problems(recipe_preset, recipe)
    assert any(line.startswith(part) for line in found), found


def test_a_recipe_saved_as_a_preset_keeps_its_slots() -> None:
    document = preset_from_recipe({"slots": {"characters": "nova_quinn"}}, "Nova at night")
    assert document["id"] == "nova_at_night" and document["name"] == "Nova at night"
    assert document["characters"]["id"] == "nova_quinn"
    assert preset_from_recipe({}, "N", "given_id")["id"] == "given_id"


@given(st.integers(min_value=0, max_value=2**40))
def test_fixing_a_slot_to_the_presets_pick_keeps_every_other_pick(seed: int) -> None:
    before = picked({}, seed)
    after = picked({"characters": before["characters"][0]}, seed)
    assert after == before
