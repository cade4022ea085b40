from typing import Any

import pytest
from pydantic import ValidationError

from gaze.library.fields import describe_errors
from gaze.library.schema import CATEGORIES
from gaze.presets.schema import ORIENTATION_SIZES, DetailerSlot, Pool, Preset


def errors_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Preset.model_validate({"id": "p", "name": "P", **document})
    return describe_errors(caught.value)


def test_the_simplest_preset_is_text_and_a_checkpoint() -> None:
    preset = Preset.model_validate(
        {
            "id": "example_01",
            "name": "Example Preset",
            "checkpoint": "Illustrious/model.safetensors",
            "positive": "a lighthouse at dusk",
            "negative": "blurry",
        }
    )
    assert preset.slug == "example_01"
    assert all(preset.slot(category).mode == "none" for category in CATEGORIES)
    assert preset.width is None and preset.orientation is None and preset.steps is None


def test_every_slot_mode_and_pool_kind() -> None:
    preset = Preset.model_validate(
        {
            "id": "p",
            "name": "P",
            "characters": {"mode": "fixed", "id": "aria", "outfit": "gala", "fields": ["a::b"]},
            "looks": {"mode": "random"},
            "outfits": {
                "mode": "random",
                "pool": {"kind": "tag", "key": "type", "value": "casual"},
            },
            "actions": {"mode": "random", "pool": {"kind": "list", "ids": ["wave", "read"]}},
            "styles": {"mode": "random", "pool": {"kind": "all"}},
            "scenes": {"mode": "none"},
            "detailers": {"mode": "random", "count": 3},
            "checkpoint_pool": ["a.safetensors", "b.safetensors"],
            "orientation": "portrait",
            "steps": 30,
            "cfg": 5.5,
            "sampler": "dpmpp_2m",
            "scheduler": "karras",
            "clip_skip": 2,
        }
    )
    assert preset.characters.outfit == "gala"
    assert preset.outfits.pool == Pool(kind="tag", key="type", value="casual")
    assert preset.outfits.pool.tag_filter() == {"type": "casual"}
    assert preset.actions.pool is not None and preset.actions.pool.tag_filter() is None
    assert preset.detailers.count == 3
    assert preset.slot("scenes").mode == "none"
    with pytest.raises(ValueError, match="unknown category"):
        preset.slot("weapons")


def test_detailers_fixed_by_id_or_ids() -> None:
    assert DetailerSlot(mode="fixed", ids=["a", "b"]).fixed_ids() == ["a", "b"]
    assert DetailerSlot(mode="fixed", id="a").fixed_ids() == ["a"]


def test_orientation_sizes_per_base_model() -> None:
    assert ORIENTATION_SIZES == {
        "sd1": {"portrait": (512, 768), "landscape": (768, 512), "square": (512, 512)},
        "sdxl": {"portrait": (832, 1216), "landscape": (1216, 832), "square": (1024, 1024)},
    }


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"characters": {"mode": "fixed"}},
            "characters.id: a fixed slot needs the id of a resource",
        ),
        (
            {"looks": {"mode": "sometimes"}},
            "looks.mode: Input should be 'none', 'fixed' or 'random'",
        ),
        (
            {"scenes": {"mode": "random", "id": "x"}},
            "scenes.id: only a fixed slot has an id (mode is 'random')",
        ),
        (
            {"scenes": {"mode": "fixed", "id": "x", "pool": {"kind": "all"}}},
            "scenes.pool: only a random slot has a pool (mode is 'fixed')",
        ),
        ({"scenes": {"fields": ["a::b"]}}, "scenes.fields: a slot in mode 'none' uses no fields"),
        (
            {"scenes": {"mode": "random", "fields": ["a::b", "a::b"]}},
            "scenes.fields[1]: 'a::b' is listed twice",
        ),
        (
            {"scenes": {"mode": "random", "fields": ["ab"]}},
            "scenes.fields[0]: must be 'section::key', got 'ab'",
        ),
        (
            {"outfits": {"mode": "random", "pool": {"kind": "list"}}},
            "outfits.pool.ids: a 'list' pool needs at least one id",
        ),
        (
            {"outfits": {"mode": "random", "pool": {"kind": "list", "ids": ["a", "a"]}}},
            "outfits.pool.ids[1]: 'a' is listed twice",
        ),
        (
            {"outfits": {"mode": "random", "pool": {"kind": "tag", "key": "type"}}},
            "outfits.pool.value: a 'tag' pool needs 'key' and 'value'",
        ),
        (
            {"outfits": {"mode": "random", "pool": {"kind": "all", "ids": ["a"]}}},
            "outfits.pool.ids: only a 'list' pool has ids (kind is 'all')",
        ),
        (
            {"outfits": {"mode": "random", "pool": {"kind": "color"}}},
            "outfits.pool.kind: Input should be 'all', 'list' or 'tag'",
        ),
        (
            {"characters": {"mode": "random", "outfit": "gala"}},
            "characters.outfit: a wardrobe outfit can only be chosen for a fixed character",
        ),
        (
            {"detailers": {"mode": "fixed", "id": "a", "ids": ["b"]}},
            "detailers.ids: give either 'id' or 'ids', not both",
        ),
        (
            {"detailers": {"mode": "fixed", "id": "a", "count": 2}},
            "detailers.count: only a random slot has a count (mode is 'fixed')",
        ),
        (
            {"detailers": {"mode": "random", "count": 0}},
            "detailers.count: Input should be greater than or equal to 1",
        ),
        ({"looks": {"mode": "random", "count": 2}}, "looks.count: Extra inputs are not permitted"),
        ({"width": 512}, "height: give both width and height, or neither"),
        (
            {"width": 512, "height": 512, "orientation": "square"},
            "orientation: give either width/height or an orientation, not both",
        ),
        (
            {"orientation": "diagonal"},
            "orientation: Input should be 'portrait', 'landscape' or 'square'",
        ),
        (
            {"checkpoint": "a.safetensors", "checkpoint_pool": ["b.safetensors"]},
            "checkpoint_pool: give either a checkpoint or a checkpoint_pool to pick from, not both",
        ),
        ({"checkpoint": "/models/a.safetensors"}, "checkpoint: must be a relative path"),
        ({"cfg": "7"}, "cfg: Input should be a valid number"),
        ({"width": 513, "height": 512}, "width: must be a multiple of 8"),
        ({"slug": "other"}, "slug: must be 'p', the id without characters outside [A-Za-z0-9_]"),
        ({"weapons": {"mode": "none"}}, "weapons: Extra inputs are not permitted"),
    ],
)
def test_preset_validation_errors_name_the_field_and_the_reason(
    document: dict[str, Any], expected: str
) -> None:
    assert expected in errors_of(document)
