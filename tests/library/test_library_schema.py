from typing import Any

import pytest
from pydantic import ValidationError

from gaze.library.fields import describe_errors, slug_from_id
from gaze.library.schema import (
    CATEGORIES,
    Action,
    Character,
    CheckpointSettings,
    Detailer,
    Look,
    Outfit,
    Scene,
    Style,
    WeightRange,
    resource_model_for,
)


def errors_of(model: type, document: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(document)
    return describe_errors(caught.value)


def character(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "aria_vale",
        "name": "Aria Vale",
        "identity": {"base": "1girl, solo", "hair": ["silver hair", "long hair"]},
        "fields": {"expression": {"default": "smile"}},
        "default_fields": ["identity::base", "identity::hair", "expression::default"],
        "wardrobe": {
            "travel": {"fields": {"top": "cloak"}},
            "gala": {"outfit_id": "evening_gown"},
        },
        "active_outfit": "travel",
        "lora": {"file": "chars/aria.safetensors", "weight": {"min": 0.5, "max": 0.9}},
        "tags": {"origin": "examples", "role": ["explorer", "mage"]},
    }
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("resource_id", "slug"),
    [
        ("example_01", "example_01"),
        ("aria-vale", "ariavale"),
        ("Hatsune Miku (v2)", "HatsuneMikuv2"),
        ("café.noir", "cafnoir"),
    ],
)
def test_slug_from_id_keeps_only_ascii_word_characters(resource_id: str, slug: str) -> None:
    assert slug_from_id(resource_id) == slug


def test_categories_and_their_models() -> None:
    assert CATEGORIES == (
        "characters",
        "looks",
        "outfits",
        "actions",
        "styles",
        "scenes",
        "detailers",
    )
    models = [Character, Look, Outfit, Action, Style, Scene, Detailer]
    assert [resource_model_for(category) for category in CATEGORIES] == models
    assert all(
        model.category == category for model, category in zip(models, CATEGORIES, strict=True)
    )
    with pytest.raises(ValueError, match="unknown category 'weapons'"):
        resource_model_for("weapons")


def test_a_valid_character() -> None:
    aria = Character.model_validate(character())
    assert aria.slug == "aria_vale"
    assert aria.field_value("identity::hair") == ["silver hair", "long hair"]
    assert aria.field_value("expression::default") == "smile"
    assert aria.field_value("expression::missing") is None
    assert aria.field_addresses() == ["identity::base", "identity::hair", "expression::default"]
    assert aria.wardrobe["gala"].outfit_id == "evening_gown"
    assert aria.lora is not None and aria.lora.weight == WeightRange(min=0.5, max=0.9)
    assert aria.lora.clip_weight is None
    assert aria.is_favourite is False and aria.is_nsfw is False and aria.cover is None


def test_the_slug_may_be_given_but_must_match_the_id() -> None:
    assert Character.model_validate(character(slug="aria_vale")).slug == "aria_vale"
    assert errors_of(Character, character(slug="aria")) == [
        "slug: must be 'aria_vale', the id without characters outside [A-Za-z0-9_]"
    ]


def test_models_are_frozen() -> None:
    aria = Character.model_validate(character())
    with pytest.raises(ValidationError):
        aria.name = "Other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "a/b"}, "id: may only contain letters, digits and _ (A-Z, a-z, 0-9, _), got 'a/b'"),
        ({"id": ""}, "id: must not be empty"),
        ({"id": "---"}, "id: may only contain letters, digits and _ (A-Z, a-z, 0-9, _), got '---'"),
        (
            {"id": "Bad Char!"},
            "id: may only contain letters, digits and _ (A-Z, a-z, 0-9, _), got 'Bad Char!'",
        ),
        (
            {"id": ".hidden"},
            "id: may only contain letters, digits and _ (A-Z, a-z, 0-9, _), got '.hidden'",
        ),
        ({"id": "x" * 129}, "id: is 129 characters long; the limit is 128"),
        ({"id": 7}, "id: Input should be a valid string"),
        ({"name": "  "}, "name: must not be empty"),
        (
            {"fields": {"pose": {"main": 5}}},
            "fields.pose.main: must be a string or a list of strings",
        ),
        ({"fields": {"a::b": {"c": "d"}}}, "fields.a::b (key): must not contain '::'"),
        (
            {"default_fields": ["identity::base", "nope"]},
            "default_fields[1]: must be 'section::key', got 'nope'",
        ),
        (
            {"default_fields": ["identity::base", "outfit::hat"]},
            "default_fields[1]: 'outfit::hat' is not a field of this resource",
        ),
        (
            {"default_fields": ["identity::base", "identity::base"]},
            "default_fields[1]: 'identity::base' is listed twice",
        ),
        (
            {"lora": {"file": "a.safetensors", "weight": {"min": 1.0, "max": 0.5}}},
            "lora.weight: a weight range's min (1.0) is greater than its max (0.5)",
        ),
        (
            {"lora": {"file": "a.safetensors", "weight": {"min": 0.5}}},
            "lora.weight: a weight range has exactly the keys 'min' and 'max'",
        ),
        (
            {"lora": {"file": "a.safetensors", "weight": True}},
            "lora.weight: must be a number or a range {'min': number, 'max': number}",
        ),
        (
            {"lora": {"file": "a.safetensors", "weight": 99}},
            "lora.weight: must be a finite number between -10 and 10",
        ),
        ({"lora": {"file": "/abs/a.safetensors"}}, "lora.file: must be a relative path"),
        (
            {"lora": {"file": "../a.safetensors"}},
            "lora.file: must not contain empty, '.' or '..' segments",
        ),
        ({"lora": {"file": "a\\b.safetensors"}}, "lora.file: must use '/' as separator, not '\\'"),
        (
            {"lora": {"file": "a.safetensors", "strength": 1}},
            "lora.strength: Extra inputs are not permitted",
        ),
        ({"tags": {"origin": 3}}, "tags.origin: must be a string or a list of strings"),
        ({"cover": "C:/x.png"}, "cover: must be a relative path"),
        ({"is_nsfw": "yes"}, "is_nsfw: Input should be a valid boolean"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        (
            {"active_outfit": "swimsuit"},
            "active_outfit: 'swimsuit' is not in the wardrobe (outfits: 'travel', 'gala')",
        ),
        ({"active_outfit": None}, "active_outfit: is required when the wardrobe has outfits"),
        (
            {"wardrobe": {"odd": {"fields": {"a": "b"}, "outfit_id": "x"}}, "active_outfit": "odd"},
            "wardrobe.odd: give either 'fields' (an inline outfit) or 'outfit_id', not both",
        ),
        (
            {"fields": {"identity": {"eyes": "green eyes"}}, "default_fields": []},
            "fields.identity: 'identity' is reserved: put identity fields in 'identity'",
        ),
    ],
)
def test_character_validation_errors_name_the_field_and_the_reason(
    changes: dict[str, Any], expected: str
) -> None:
    assert expected in errors_of(Character, character(**changes))


def test_every_problem_of_a_document_is_reported() -> None:
    errors = errors_of(
        Character,
        character(name="", tags={"a": 1}, lora={"file": "../x"}, is_favourite="no"),
    )
    assert len(errors) == 4
    assert [line.split(":")[0] for line in errors] == [
        "name",
        "lora.file",
        "tags.a",
        "is_favourite",
    ]


def test_missing_required_fields() -> None:
    assert errors_of(Outfit, {"fields": {}}) == ["id: Field required", "name: Field required"]


def test_a_character_may_have_no_wardrobe() -> None:
    plain = Character.model_validate(character(wardrobe={}, active_outfit=None))
    assert plain.wardrobe == {} and plain.active_outfit is None


def test_detailers_hold_prompt_tags() -> None:
    detailer = Detailer.model_validate(
        {"id": "sharp", "name": "Sharp", "prompt_tags": ["highly detailed", "sharp focus"]}
    )
    assert detailer.prompt_tags == ["highly detailed", "sharp focus"]
    assert "prompt_tags: Extra inputs are not permitted" in errors_of(
        Outfit, {"id": "x", "name": "X", "prompt_tags": ["a"]}
    )


def test_resources_reject_the_identity_of_characters() -> None:
    assert "identity: Extra inputs are not permitted" in errors_of(
        Scene, {"id": "x", "name": "X", "identity": {}}
    )


def test_lora_weight_may_be_a_number() -> None:
    scene = Scene.model_validate(
        {
            "id": "x",
            "name": "X",
            "lora": {"file": "a/b.safetensors", "weight": 1, "clip_weight": 0.5},
        }
    )
    assert scene.lora is not None
    assert scene.lora.weight == 1.0 and scene.lora.clip_weight == 0.5


def test_checkpoint_settings_defaults_per_base_model() -> None:
    sd1 = CheckpointSettings.model_validate({"path": "sd15/model.safetensors"})
    assert (sd1.base_model, sd1.width, sd1.height) == ("sd1", 512, 512)
    assert (sd1.steps, sd1.cfg, sd1.sampler, sd1.scheduler) == (20, 7.0, "euler", "normal")
    assert (
        sd1.clip_skip is None and sd1.vae is None and sd1.prefix == "" and sd1.negative_prefix == ""
    )
    sdxl = CheckpointSettings.model_validate(
        {"path": "Illustrious/model.safetensors", "base_model": "sdxl"}
    )
    assert (sdxl.width, sdxl.height) == (1024, 1024)
    explicit = CheckpointSettings.model_validate(
        {"path": "m.safetensors", "base_model": "sdxl", "width": 832, "height": 1216}
    )
    assert (explicit.width, explicit.height) == (832, 1216)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"path": "models\\m.safetensors"}, "path: must use '/' as separator, not '\\'"),
        ({"base_model": "sd3"}, "base_model: Input should be 'sd1' or 'sdxl'"),
        ({"steps": "20"}, "steps: Input should be a valid integer"),
        ({"steps": 0}, "steps: Input should be greater than or equal to 1"),
        ({"width": 500}, "width: must be a multiple of 8"),
        ({"height": 8192}, "height: must be between 64 and 4096 pixels"),
        (
            {"sampler": "euler a"},
            "sampler: must be a sampler or scheduler name such as 'euler' or 'karras'",
        ),
        ({"clip_skip": 0}, "clip_skip: Input should be greater than or equal to 1"),
        ({"vae": "../vae.safetensors"}, "vae: must not contain empty, '.' or '..' segments"),
    ],
)
def test_checkpoint_settings_validation(changes: dict[str, Any], expected: str) -> None:
    assert expected in errors_of(CheckpointSettings, {"path": "m.safetensors", **changes})
