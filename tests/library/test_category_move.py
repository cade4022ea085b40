"""A resource's document mapped onto another category's schema: what is kept, what is dropped
(by address), for several pairs of categories."""

from __future__ import annotations

from typing import Any

import pytest

from gaze.library.category_move import MOVABLE_CATEGORIES, map_to_category, movable_category
from gaze.library.schema import Character, Detailer, Look, Outfit, Scene
from gaze.service_errors import Invalid

LORA = {"file": "styles/rain.safetensors", "weight": {"min": 0.4, "max": 0.8}}


def outfit_document(**extra: Any) -> dict[str, Any]:
    return {
        "id": "rain_coat",
        "name": "Rain Coat",
        "description": "a long yellow coat",
        "fields": {"outfit": {"top": "yellow raincoat", "shoes": ["boots", "wet boots"]}},
        "default_fields": ["outfit::top"],
        "lora": LORA,
        "tags": {"outfit_type": "outdoor"},
        "cover": "covers/rain_coat.png",
        "is_favourite": True,
        **extra,
    }


def test_an_outfit_becomes_a_look_keeping_everything() -> None:
    mapped = map_to_category(outfit_document(), "outfits", "looks")
    assert isinstance(mapped.resource, Look)
    moved = mapped.resource.model_dump(mode="json")
    original = Outfit.model_validate(outfit_document()).model_dump(mode="json")
    assert moved == original, "outfits and looks share one schema: nothing changes"
    assert mapped.dropped == []
    assert mapped.kept == [
        "outfit::top",
        "outfit::shoes",
        "name",
        "description",
        "default_fields",
        "lora",
        "tags",
        "is_favourite",
        "cover",
    ]


def test_a_detailer_loses_its_prompt_tags_elsewhere_and_says_so() -> None:
    detailer = {
        "id": "sharp",
        "name": "Sharp",
        "fields": {"detail": {"eyes": "detailed eyes"}},
        "prompt_tags": ["masterpiece", "sharp focus"],
        "lora": LORA,
    }
    mapped = map_to_category(detailer, "detailers", "styles")
    assert mapped.dropped == ["prompt_tags"]
    assert "prompt_tags" not in mapped.resource.model_dump(mode="json")
    assert mapped.resource.lora is not None and mapped.resource.lora.file == LORA["file"]
    assert mapped.kept[:1] == ["detail::eyes"]


def test_a_detailer_without_prompt_tags_drops_nothing() -> None:
    mapped = map_to_category({"id": "soft", "name": "Soft"}, "detailers", "scenes")
    assert isinstance(mapped.resource, Scene)
    assert mapped.dropped == []
    assert mapped.kept == ["name"]


def test_a_style_becomes_a_detailer_with_no_prompt_tags() -> None:
    style = {"id": "ink", "name": "Ink", "fields": {"style": {"medium": "ink wash"}}}
    mapped = map_to_category(style, "styles", "detailers")
    assert isinstance(mapped.resource, Detailer)
    assert mapped.resource.prompt_tags == []
    assert mapped.dropped == []


def test_a_character_keeps_its_identity_addresses_and_drops_its_wardrobe() -> None:
    character = {
        "id": "nova",
        "name": "Nova",
        "identity": {"hair": "silver hair", "eyes": "green eyes"},
        "fields": {"extra": {"mood": "smiling"}},
        "default_fields": ["identity::hair", "extra::mood"],
        "wardrobe": {
            "casual": {"fields": {"top": "hoodie"}},
            "formal": {"outfit_id": "evening_gown"},
        },
        "active_outfit": "casual",
    }
    mapped = map_to_category(character, "characters", "looks")
    look = mapped.resource
    assert isinstance(look, Look)
    assert look.fields == {
        "identity": {"hair": "silver hair", "eyes": "green eyes"},
        "extra": {"mood": "smiling"},
    }
    assert look.default_fields == ["identity::hair", "extra::mood"]
    assert look.field_value("identity::eyes") == "green eyes"
    assert mapped.dropped == ["wardrobe.casual", "wardrobe.formal", "active_outfit"]
    assert mapped.kept[:3] == ["identity::hair", "identity::eyes", "extra::mood"]


def test_a_look_with_an_identity_section_becomes_a_character_identity() -> None:
    look = {
        "id": "nova_look",
        "name": "Nova look",
        "fields": {"identity": {"hair": "silver hair"}, "face": {"freckles": "freckles"}},
        "default_fields": ["identity::hair", "face::freckles"],
    }
    mapped = map_to_category(look, "looks", "characters")
    character = mapped.resource
    assert isinstance(character, Character)
    assert character.identity == {"hair": "silver hair"}
    assert character.fields == {"face": {"freckles": "freckles"}}
    assert character.default_fields == ["identity::hair", "face::freckles"]
    assert mapped.dropped == []
    back = map_to_category(character.model_dump(mode="json"), "characters", "looks")
    assert back.resource.model_dump(mode="json") == Look.model_validate(look).model_dump(
        mode="json"
    ), "looks -> characters -> looks gives the look back"


def test_a_new_id_gives_a_new_slug() -> None:
    mapped = map_to_category(outfit_document(), "outfits", "looks", "rain_look")
    assert (mapped.resource.id, mapped.resource.slug) == ("rain_look", "rain_look")


def test_an_invalid_new_id_is_refused_naming_it() -> None:
    with pytest.raises(Invalid) as refused:
        map_to_category(outfit_document(), "outfits", "looks", "rain look!")
    assert refused.value.problems[0].startswith("id:")


@pytest.mark.parametrize("category", ["checkpoints", "presets", "", "Outfits"])
def test_only_resource_categories_are_movable(category: str) -> None:
    with pytest.raises(Invalid) as refused:
        movable_category(category, "to")
    assert refused.value.code == "unknown_category"
    assert refused.value.problems[0].startswith("to: ")
    assert set(MOVABLE_CATEGORIES) == {
        "characters",
        "looks",
        "outfits",
        "actions",
        "styles",
        "scenes",
        "detailers",
    }
