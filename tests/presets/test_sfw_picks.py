"""Safe-for-work resolution (issue 17 part 3): over many seeds, random pools that mix SFW and
NSFW resources and wordlists never give an NSFW pick to a safe-for-work caller, the same seed
resolves the same way, and what cannot be done without an NSFW item is refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from gaze.library.view import InMemoryLibrary
from gaze.library.wordlist_schema import Wordlist
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.presets.schema import CharacterSlot
from gaze.presets.sfw import NsfwRefused
from gaze.prompts.wildcards import WildcardAvoided, expand_wildcards
from gaze.service_errors import Forbidden
from tests.presets.builders import SD1, SDXL, checkpoint, numbered, preset, resource

SEEDS = range(200)

NSFW_CHARACTERS = {"characters_01", "characters_02", "characters_04"}
NSFW_DETAILERS = {"detailers_00", "detailers_03"}
NSFW_OUTFITS = {"outfits_01"}


def _flagged(items: list[Any], nsfw: set[str]) -> list[Any]:
    return [item.model_copy(update={"is_nsfw": item.id in nsfw}) for item in items]


def mixed_library() -> InMemoryLibrary:
    characters = _flagged(numbered("characters", 6), NSFW_CHARACTERS)
    detailers = _flagged(numbered("detailers", 5), NSFW_DETAILERS)
    outfits = _flagged(numbered("outfits", 3, tags={"kind": "casual"}), NSFW_OUTFITS)
    wordlists = [
        Wordlist(id="colors", name="Colors", lines=["red", "green", "blue"]),
        Wordlist(id="lewd", name="Lewd", lines=["lewd_a", "lewd_b"], is_nsfw=True),
        Wordlist(
            id="moods",
            name="Moods",
            lines=["calm", "__lewd__ mood", "cheerful", "{__lewd__|plain} twice"],
        ),
    ]
    return InMemoryLibrary(
        [*characters, *detailers, *outfits],
        (checkpoint(SD1), checkpoint(SDXL)),
        wordlists,
    )


def mixed_preset(**extra: Any) -> Any:
    return preset(
        characters={"mode": "random"},
        detailers={"mode": "random", "count": 2},
        outfits={"mode": "random", "pool": {"kind": "tag", "key": "kind", "value": "casual"}},
        positive="{__colors__|__lewd__}, __moods__, {2$$__moods__}",
        **extra,
    )


def picked_ids(choices: dict[str, Any], category: str) -> set[str]:
    return {pick["id"] for pick in choices[category]}


def test_safe_for_work_picks_are_never_nsfw_over_many_seeds() -> None:
    library = mixed_library()
    seen_characters: set[str] = set()
    for seed in SEEDS:
        resolution = resolve_preset(mixed_preset(), library, Overrides(), seed, sfw_only=True)
        choices = resolution.choices
        assert not picked_ids(choices, "characters") & NSFW_CHARACTERS, seed
        assert not picked_ids(choices, "detailers") & NSFW_DETAILERS, seed
        assert len(choices["detailers"]) == 2
        assert not picked_ids(choices, "outfits") & NSFW_OUTFITS, seed
        assert "lewd_" not in resolution.spec.positive, (seed, resolution.spec.positive)
        for pick in choices["wildcards"]:
            assert pick["wildcard"] != "__lewd__" and "lewd_" not in pick["text"], (seed, pick)
        seen_characters |= picked_ids(choices, "characters")
        again = resolve_preset(mixed_preset(), library, Overrides(), seed, sfw_only=True)
        assert again == resolution, seed
    assert seen_characters == {"characters_00", "characters_03", "characters_05"}


def test_any_other_caller_still_gets_nsfw_picks() -> None:
    library = mixed_library()
    characters: set[str] = set()
    texts = ""
    for seed in SEEDS:
        resolution = resolve_preset(mixed_preset(), library, Overrides(), seed)
        characters |= picked_ids(resolution.choices, "characters")
        texts += resolution.spec.positive
    assert characters & NSFW_CHARACTERS
    assert "lewd_" in texts


def test_a_safe_pick_is_the_pick_of_the_pool_without_the_nsfw_resources() -> None:
    """The same seeded draw among the SFW ones: as if the NSFW resources were not there."""
    library = mixed_library()
    without = InMemoryLibrary(
        [
            item
            for category in ("characters", "detailers", "outfits")
            for item in library.resources(category)
            if not item.is_nsfw
        ],
        library.checkpoints(),
    )
    document = mixed_preset().model_dump(exclude={"positive"})
    for seed in SEEDS:
        safe = resolve_preset(preset(**document), library, Overrides(), seed, sfw_only=True)
        plain = resolve_preset(preset(**document), without, Overrides(), seed)
        assert safe == plain, seed


def test_without_nsfw_items_a_safe_caller_gets_the_same_picks_as_anyone() -> None:
    library = InMemoryLibrary(
        [*numbered("characters", 4), *numbered("detailers", 3)],
        (checkpoint(SD1),),
        [Wordlist(id="colors", name="Colors", lines=["red", "green", "blue", "{a|b}"])],
    )
    chosen = preset(
        characters={"mode": "random"},
        detailers={"mode": "random", "count": 2},
        positive="__colors__, {2$$x|y|z}",
    )
    for seed in SEEDS:
        assert resolve_preset(chosen, library, Overrides(), seed, sfw_only=True) == (
            resolve_preset(chosen, library, Overrides(), seed)
        )


def refusal(chosen: Any, overrides: Overrides | None = None) -> NsfwRefused:
    with pytest.raises(NsfwRefused) as caught:
        resolve_preset(chosen, mixed_library(), overrides or Overrides(), 7, sfw_only=True)
    error = caught.value
    assert isinstance(error, Forbidden)
    assert (error.status, error.code) == (403, "nsfw_refused")
    assert error.message.endswith("is flagged NSFW; this API key is safe-for-work only.")
    return error


def test_an_nsfw_preset_is_refused_by_name() -> None:
    error = refusal(preset(id="late_night", is_nsfw=True))
    assert error.message.startswith("The preset 'late_night' is flagged NSFW")


def test_a_fixed_nsfw_resource_is_refused_naming_slot_and_id() -> None:
    error = refusal(preset(characters={"mode": "fixed", "id": "characters_02"}))
    assert "characters slot's 'characters_02'" in error.message
    error = refusal(preset(detailers={"mode": "fixed", "ids": ["detailers_01", "detailers_03"]}))
    assert "'detailers_03'" in error.message


def test_a_request_override_fixing_an_nsfw_resource_is_refused() -> None:
    overrides = Overrides(slots={"characters": CharacterSlot(mode="fixed", id="characters_04")})
    error = refusal(preset(characters={"mode": "fixed", "id": "characters_00"}), overrides)
    assert "'characters_04'" in error.message
    # the override's SFW resource replaces a preset's NSFW one
    safe = Overrides(slots={"characters": CharacterSlot(mode="fixed", id="characters_00")})
    nsfw_fixed = preset(characters={"mode": "fixed", "id": "characters_01"})
    resolution = resolve_preset(nsfw_fixed, mixed_library(), safe, 7, sfw_only=True)
    assert picked_ids(resolution.choices, "characters") == {"characters_00"}


def test_a_pool_of_only_nsfw_resources_is_refused_naming_the_slot() -> None:
    pool = {"kind": "list", "ids": ["characters_01", "characters_04"]}
    error = refusal(preset(characters={"mode": "random", "pool": pool}))
    assert error.message.startswith("Every resource the random characters slot can pick")


def test_an_nsfw_wordlist_is_refused_by_name() -> None:
    error = refusal(preset(positive="a portrait, __lewd__"))
    assert "The wordlist 'lewd' (wildcards in positive)" in error.message
    error = refusal(preset(positive="{__lewd__|__lewd__}"))
    assert "Every option of the wildcard" in error.message


def test_an_nsfw_outfit_in_a_wardrobe_is_refused() -> None:
    library = mixed_library()
    character = resource(
        "characters",
        "dressed",
        wardrobe={"default": {"outfit_id": "outfits_01"}},
        active_outfit="default",
    )
    library.add(character)
    chosen = preset(characters={"mode": "fixed", "id": "dressed"})
    with pytest.raises(NsfwRefused, match="The outfit 'outfits_01' worn by the character"):
        resolve_preset(chosen, library, Overrides(), 3, sfw_only=True)
    assert resolve_preset(chosen, library, Overrides(), 3).choices["characters"]


def test_wildcard_picks_avoid_wordlists_in_weighted_and_counted_choices() -> None:
    lines = {
        "lewd": ("lewd_a", "lewd_b"),
        "colors": ("red", "green", "__lewd__ tint", "blue"),
    }
    text = "{3::__lewd__|1::calm|2::__colors__}, {2-3$$__colors__}, {1-2$$x|__lewd__|y}"
    for seed in SEEDS:
        expansion = expand_wildcards(text, seed, "test", lines.get, avoided={"lewd"})
        assert "lewd" not in expansion.text and "tint" not in expansion.text, expansion.text
        again = expand_wildcards(text, seed, "test", lines.get, avoided={"lewd"})
        assert again == expansion
        assert expand_wildcards(text, seed, "test", lines.get, avoided={"other"}) == (
            expand_wildcards(text, seed, "test", lines.get)
        )
    with pytest.raises(WildcardAvoided, match="The wordlist 'lewd'"):
        expand_wildcards("__lewd__", 1, "test", lines.get, avoided={"lewd"})
