"""Wildcards in every prompt text a resolution puts together: library fields, wardrobes,
detailer tags, the checkpoint's prefixes, the preset's prompts and the request's extras."""

from __future__ import annotations

from typing import Any

import pytest

from gaze.library.view import InMemoryLibrary
from gaze.library.wordlist_schema import Wordlist
from gaze.presets.resolve import Overrides, Resolution, ResolutionError, resolve_preset
from tests.presets.builders import SD1, checkpoint, preset, resource

COLORS = Wordlist.model_validate(
    {"id": "colors", "name": "Colours", "lines": ["red", "green", "blue", "# a comment", ""]}
)
NESTED = Wordlist.model_validate(
    {"id": "outfit/tops", "name": "Tops", "lines": ["__colors__ shirt", "{plain|striped} tee"]}
)
LOOP_A = Wordlist.model_validate({"id": "loop_a", "name": "A", "lines": ["__loop_b__"]})
LOOP_B = Wordlist.model_validate({"id": "loop_b", "name": "B", "lines": ["x, __loop_a__"]})


def lib(*resources: Any, **checkpoint_fields: Any) -> InMemoryLibrary:
    return InMemoryLibrary(
        resources, (checkpoint(SD1, **checkpoint_fields),), (COLORS, NESTED, LOOP_A, LOOP_B)
    )


def resolve(the_preset: Any, library: InMemoryLibrary, seed: int, **overrides: Any) -> Resolution:
    return resolve_preset(the_preset, library, Overrides(**overrides), seed)


def test_a_preset_prompt_picks_from_the_seed_and_shows_its_picks() -> None:
    the_preset = preset(positive="a {cat|dog|fox}, __colors__ eyes")
    library = lib()
    seen = set()
    for seed in range(40):
        resolution = resolve(the_preset, library, seed)
        assert resolution == resolve(the_preset, library, seed)
        animal, eyes = resolution.spec.positive.split(", ")
        assert animal in {"a cat", "a dog", "a fox"}
        assert eyes in {"red eyes", "green eyes", "blue eyes"}
        seen.add(resolution.spec.positive)
        picks = resolution.choices["wildcards"]
        assert [pick["wildcard"] for pick in picks] == ["{cat|dog|fox}", "__colors__"]
        assert all(pick["stream"].startswith("wildcards:positive:") for pick in picks)
    assert len(seen) > 5


def test_text_without_wildcards_resolves_as_before_with_no_wildcards_entry() -> None:
    resolution = resolve(preset(positive="a lighthouse, dusk"), lib(), 3)
    assert resolution.spec.positive == "a lighthouse, dusk"
    assert "wildcards" not in resolution.choices


def test_library_fields_wardrobes_detailers_prefixes_and_extras_all_expand() -> None:
    character = resource(
        "characters",
        "nova",
        "{short|long} hair",
        wardrobe={"usual": {"fields": {"top": "__outfit/tops__"}}},
        active_outfit="usual",
    )
    detailer = resource("detailers", "sharp", "fine", prompt_tags=["{crisp|clean} lines"])
    library = lib(character, detailer, prefix="{masterpiece|best quality}")
    the_preset = preset(
        characters={"mode": "fixed", "id": "nova"},
        detailers={"mode": "fixed", "ids": ["sharp"]},
        negative="{blurry|lowres}",
    )
    resolution = resolve(
        the_preset, library, 11, extra_positive="{smiling|serious}", extra_negative="__colors__"
    )
    positive, negative = resolution.spec.positive, resolution.spec.negative
    assert "{" not in positive + negative and "__" not in positive + negative
    streams = {pick["stream"].rsplit(":", 1)[0] for pick in resolution.choices["wildcards"]}
    assert {
        "wildcards:prefix",
        "wildcards:characters:nova:main::tags",
        "wildcards:wardrobe:nova:usual:top",
        "wildcards:detailers:sharp:prompt_tags:0",
        "wildcards:negative",
        "wildcards:extra_positive",
        "wildcards:extra_negative",
    } <= streams


def test_a_pick_depends_on_its_place_only() -> None:
    """Adding a wildcard elsewhere (another text, or later in the same one) keeps the picks."""
    base = preset(positive="__colors__ sky")
    more = preset(positive="__colors__ sky, {a|b|c|d}", negative="{x|y}")
    library = lib()
    for seed in range(20):
        first = resolve(base, library, seed).spec.positive
        second = resolve(more, library, seed).spec.positive
        assert second.startswith(first + ", ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{a|b", "positive: .*brace"),
        ("__nothing__", "positive: .*nothing"),
        ("__loop_a__", "positive: .*loop_a.*loop_b.*loop_a"),
    ],
)
def test_a_broken_wildcard_is_a_resolution_error_naming_the_text(text: str, message: str) -> None:
    with pytest.raises(ResolutionError, match=message):
        resolve(preset(positive=text), lib(), 1)
