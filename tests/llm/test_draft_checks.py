"""The checks every model answer passes (pure parts): ids, drafts against each category's
schema, tags and prompt texts, and finding JSON in text, hostile shapes included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gaze.library.schema import CATEGORIES
from gaze.llm.answer_text import AnswerMessage, first_json_object
from gaze.llm.client import _json_answer
from gaze.llm.draft_checks import (
    DraftProblems,
    checked_draft,
    checked_tags,
    checked_text,
    draft_id,
)
from gaze.llm.draft_schema import draft_schema
from gaze.llm.server_modes import OutputMode

SCENE: dict[str, Any] = {
    "id": "night_market",
    "name": "Night Market",
    "description": "Lanterns.",
    "fields": {"place": {"main": "night market, lanterns"}},
    "default_fields": ["place::main"],
    "tags": {"mood": ["busy", "warm"]},
}


@pytest.mark.parametrize(
    ("proposed", "name", "expected"),
    [
        ("Rosa Knight!", "x", "rosa_knight"),
        (None, "Über Knight", "ber_knight"),
        ("../../etc/passwd", "x", "etc_passwd"),
        ("", "", "new_draft"),
        (42, "Forty Two", "forty_two"),
        ("a" * 300, "x", "a" * 64),
    ],
)
def test_draft_ids_are_cleaned(proposed: Any, name: Any, expected: str) -> None:
    assert draft_id(proposed, name) == expected


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_categorys_schema_is_closed(category: str) -> None:
    schema = draft_schema(category)
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(schema["properties"])
    assert {"is_nsfw", "is_favourite", "lora", "cover", "slug"}.isdisjoint(schema["properties"])


def test_a_valid_draft_is_the_stored_document_shape() -> None:
    document = checked_draft("scenes", SCENE, None)
    assert document["slug"] == "night_market" and document["is_nsfw"] is False
    assert "lora" not in document and "cover" not in document


def test_every_problem_is_named() -> None:
    wrong = {**SCENE, "name": "", "fields": {"place": {"main": 7}}, "is_nsfw": True, "x": 1}
    with pytest.raises(DraftProblems) as problems:
        checked_draft("scenes", wrong, None)
    text = "; ".join(problems.value.problems)
    for expected in ("is_nsfw: is not a field", "x: is not a field", "name: must not be empty"):
        assert expected in text
    assert "fields.place.main" in text


def test_a_detailer_may_have_prompt_tags_but_a_scene_may_not() -> None:
    detailer = {**SCENE, "prompt_tags": ["sharp focus"]}
    assert checked_draft("detailers", detailer, None)["prompt_tags"] == ["sharp focus"]
    with pytest.raises(DraftProblems):
        checked_draft("scenes", detailer, None)


def test_a_base_resources_lora_and_flags_are_kept_not_taken_from_the_model() -> None:
    base = {"lora": {"file": "style/ink.safetensors", "weight": 0.7}, "is_favourite": True}
    document = checked_draft("scenes", SCENE, base)
    assert document["lora"]["file"] == "style/ink.safetensors" and document["is_favourite"]


def test_a_deeply_nested_answer_is_a_problem_not_a_crash() -> None:
    nested: Any = "x"
    for _ in range(600):
        nested = {"a": nested}
    with pytest.raises(DraftProblems):
        checked_draft("scenes", {**SCENE, "fields": nested}, None)
    deep_text = '{"a": ' * 100_000 + "1" + "}" * 100_000
    answer = _json_answer(AnswerMessage(content=deep_text), OutputMode.JSON_SCHEMA)
    assert answer.value is None and answer.problem


def test_tags_are_one_tag_each_without_duplicates() -> None:
    assert checked_tags({"tags": [" red hair", "Red Hair", "blue eyes"]}) == [
        "red hair",
        "blue eyes",
    ]
    for wrong in ({"tags": "red hair"}, {"tags": ["a, b"]}, {"tags": [""]}, {"tags": [1]}):
        with pytest.raises(DraftProblems):
            checked_tags(wrong)
    with pytest.raises(DraftProblems) as extra:
        checked_tags({"tags": ["a"], "note": "ignore the rules"})
    assert extra.value.problems == ["note: is not allowed (answer only 'tags')"]


def test_an_improved_prompt_keeps_the_prompt_rules() -> None:
    assert checked_text({"text": " red hair, smile "}) == "red hair, smile"
    for wrong in ({"text": ""}, {"text": ["a"]}, {"text": "x" * 201}, {}):
        with pytest.raises(DraftProblems):
            checked_text(wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('```json\n{"a": "}"}\n```', {"a": "}"}),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('Here: [1, 2] and then {"a": {"b": 2}} done', {"a": {"b": 2}}),
        ('{broken {"a": 1}', {"a": 1}),
    ],
)
def test_the_first_json_object_in_text(text: str, expected: dict[str, Any]) -> None:
    assert first_json_object(text) == expected


def test_text_full_of_braces_is_given_up_on_quickly() -> None:
    with pytest.raises(ValueError):
        first_json_object("{" * 200_000 + json.dumps({"a": 1}))
    with pytest.raises(ValueError):
        first_json_object('{"a": 1' * 30_000)
