"""Properties of resolution over generated libraries and valid generated presets."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaze.library.schema import CATEGORIES, Lora, WeightRange, resource_model_for
from gaze.library.view import InMemoryLibrary
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.prompts.tags import split_tags
from tests.presets.strategies import TAGS, libraries, presets, prompt_text, seeds

PROPERTY_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def has_case_insensitive_duplicates(prompt: str) -> bool:
    keys = [tag.casefold() for tag in split_tags(prompt)]
    return len(keys) != len(set(keys))


@PROPERTY_SETTINGS
@given(st.data(), libraries(), seeds, prompt_text, prompt_text)
def test_valid_presets_always_resolve_without_duplicate_tags(
    data: st.DataObject, generated: tuple, seed: int, extra_positive: str, extra_negative: str
) -> None:
    resources, checkpoints = generated
    library = InMemoryLibrary(resources, checkpoints)
    preset = data.draw(presets(library))
    overrides = Overrides(extra_positive=extra_positive, extra_negative=extra_negative)
    resolution = resolve_preset(preset, library, overrides, seed)
    spec = resolution.spec
    assert spec.seed == seed
    assert not has_case_insensitive_duplicates(spec.positive)
    assert not has_case_insensitive_duplicates(spec.negative)
    for tag in split_tags(extra_positive):  # the extras always make it into the prompt
        assert tag.casefold() in {existing.casefold() for existing in split_tags(spec.positive)}
    files = [lora.name for lora in spec.loras]
    assert len(files) == len(set(files))
    for category in CATEGORIES:
        for choice in resolution.choices[category]:
            chosen = library.get(category, choice["id"])
            assert chosen is not None
            lora: Lora | None = chosen.lora
            if lora is not None and isinstance(lora.weight, WeightRange):
                assert lora.weight.min <= choice["lora"]["weight"] <= lora.weight.max


@PROPERTY_SETTINGS
@given(st.data(), libraries(), seeds)
def test_same_seed_same_spec_whatever_the_library_order(
    data: st.DataObject, generated: tuple, seed: int
) -> None:
    resources, checkpoints = generated
    library = InMemoryLibrary(resources, checkpoints)
    shuffled = InMemoryLibrary(
        data.draw(st.permutations(resources)), data.draw(st.permutations(checkpoints))
    )
    preset = data.draw(presets(library))
    first = resolve_preset(preset, library, Overrides(), seed)
    assert resolve_preset(preset, library, Overrides(), seed) == first
    assert resolve_preset(preset, shuffled, Overrides(), seed) == first


@PROPERTY_SETTINGS
@given(st.data(), libraries(), seeds, st.sampled_from(CATEGORIES))
def test_a_new_resource_changes_no_pick_of_another_category(
    data: st.DataObject, generated: tuple, seed: int, grown: str
) -> None:
    resources, checkpoints = generated
    library = InMemoryLibrary(resources, checkpoints)
    preset = data.draw(presets(library))
    newcomer = resource_model_for(grown).model_validate(
        {
            "id": "zz_newcomer",
            "name": "Newcomer",
            "fields": {"main": {"a": data.draw(st.sampled_from(TAGS))}},
            "default_fields": ["main::a"],
            "tags": {"kind": "a"},
        }
    )
    bigger = InMemoryLibrary([*resources, newcomer], checkpoints)
    before = resolve_preset(preset, library, Overrides(), seed).choices
    after = resolve_preset(preset, bigger, Overrides(), seed).choices
    for category in CATEGORIES:
        if category != grown:
            assert before[category] == after[category]
    assert before["checkpoint"] == after["checkpoint"]
