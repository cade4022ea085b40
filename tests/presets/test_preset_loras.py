"""A preset's own LoRAs: the schema refuses what a resource's LoRA would refuse, and resolution
chains them after the resources' LoRAs (a file already chained keeps its first weight)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gaze.generation_spec import LoraSpec
from gaze.library.schema import Lora, WeightRange
from gaze.library.view import InMemoryLibrary
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.presets.schema import MAX_PRESET_LORAS
from gaze.prompts.seeded import pick_weight
from tests.presets.builders import library, preset, resource
from tests.presets.strategies import libraries, lora, presets, seeds


def test_a_preset_without_loras_has_none_and_no_loras_choice() -> None:
    resolution = resolve_preset(preset(positive="sea"), library(), Overrides(), 3)

    assert preset().loras == []
    assert resolution.spec.loras == ()
    assert "loras" not in resolution.choices


def test_own_loras_follow_the_resources_loras_with_their_triggers() -> None:
    style = resource("styles", "ink", lora={"file": "ink.safetensors", "weight": 0.7})
    the_preset = preset(
        styles={"mode": "fixed", "id": "ink"},
        positive="harbour",
        loras=[
            {"file": "detail.safetensors", "weight": 0.8, "clip_weight": 0.5},
            {"file": "sub/glow.safetensors", "triggers": ["glowing"]},
        ],
    )

    resolution = resolve_preset(the_preset, library(style), Overrides(), 11)

    assert resolution.spec.loras == (
        LoraSpec("ink.safetensors", 0.7, 0.7),
        LoraSpec("detail.safetensors", 0.8, 0.5),
        LoraSpec("sub/glow.safetensors", 1.0, 1.0),
    )
    assert resolution.spec.positive == "ink, glowing, harbour"
    assert resolution.choices["loras"] == [
        {"file": "detail.safetensors", "weight": 0.8, "clip_weight": 0.5, "applied": True},
        {"file": "sub/glow.safetensors", "weight": 1.0, "clip_weight": 1.0, "applied": True},
    ]


def test_a_file_a_resource_already_chains_keeps_the_resources_weight() -> None:
    style = resource("styles", "ink", lora={"file": "ink.safetensors", "weight": 0.7})
    the_preset = preset(
        styles={"mode": "fixed", "id": "ink"}, loras=[{"file": "ink.safetensors", "weight": 0.2}]
    )

    resolution = resolve_preset(the_preset, library(style), Overrides(), 1)

    assert resolution.spec.loras == (LoraSpec("ink.safetensors", 0.7, 0.7),)
    assert resolution.choices["loras"][0]["applied"] is False


def test_a_weight_range_is_picked_by_the_seed_from_its_own_stream() -> None:
    the_preset = preset(loras=[{"file": "a.safetensors", "weight": {"min": 0.2, "max": 0.9}}])

    for seed in (1, 2, 99):
        spec = resolve_preset(the_preset, library(), Overrides(), seed).spec
        expected = pick_weight(seed, "loras:weight:0", 0.2, 0.9)
        assert spec.loras == (LoraSpec("a.safetensors", expected, expected),)


@pytest.mark.parametrize(
    ("loras", "expected"),
    [
        ([{"file": "a.safetensors"}, {"file": "a.safetensors"}], "loras.1.file"),
        ([{"file": "a.safetensors", "weight": 11}], "loras.0.weight"),
        ([{"file": "../outside.safetensors"}], "loras.0.file"),
        ([{"name": "a.safetensors"}], "loras.0"),
        ([{"file": f"{n}.safetensors"} for n in range(MAX_PRESET_LORAS + 1)], "loras"),
    ],
)
def test_bad_loras_are_refused_where_they_are(loras: list[dict], expected: str) -> None:
    with pytest.raises(ValidationError) as refused:
        preset(loras=loras)

    located = [".".join(str(part) for part in error["loc"]) for error in refused.value.errors()]
    assert any(location.startswith(expected) for location in located), located


PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
own_loras = st.lists(lora().filter(lambda each: each is not None), max_size=3).map(
    lambda loras: list({each["file"]: each for each in loras}.values())
)


@PROPERTY_SETTINGS
@given(st.data(), libraries(), seeds, own_loras)
def test_own_loras_always_chain_once_in_order_within_their_ranges(
    data: st.DataObject, generated: tuple, seed: int, loras: list[dict[str, Any]]
) -> None:
    resources, checkpoints = generated
    library = InMemoryLibrary(resources, checkpoints)
    the_preset = data.draw(presets(library)).model_copy(
        update={"loras": [Lora.model_validate(each) for each in loras]}
    )

    resolution = resolve_preset(the_preset, library, Overrides(), seed)

    files = [spec.name for spec in resolution.spec.loras]
    assert len(files) == len(set(files))
    applied = [pick for pick in resolution.choices.get("loras", []) if pick["applied"]]
    assert files[len(files) - len(applied) :] == [pick["file"] for pick in applied]
    for own, pick in zip(the_preset.loras, resolution.choices.get("loras", []), strict=True):
        assert pick["file"] == own.file
        assert pick["applied"] == (pick["file"] not in files[: len(files) - len(applied)])
        if isinstance(own.weight, WeightRange):
            assert own.weight.min <= pick["weight"] <= own.weight.max
    assert resolve_preset(the_preset, library, Overrides(), seed) == resolution
