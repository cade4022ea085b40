"""Parsing a grid request: every axis kind, and every refusal naming its axis and value."""

from __future__ import annotations

from typing import Any

import pytest

from gaze.engines.model_lists import ModelLists
from gaze.generation.options import InvalidOptions
from gaze.grids.axes import InvalidGrid, backend_problems, parse_grid_request


def parse(**body: Any) -> Any:
    return parse_grid_request({"preset": "example_01", **body})


def test_every_kind_parses_and_labels() -> None:
    request = parse(
        seed=5,
        width=64,
        height=64,
        x={"axis": "size", "values": ["512x768", [64, 96]]},
        y={"axis": "lora_weight", "lora": "style/ink.safetensors", "values": [0, 0.5, 1]},
        z={"axis": "cfg", "values": [3, 7.5]},
    )
    assert request.options.seed == 5 and request.options.width == 64
    assert request.axes["x"].values == ((512, 768), (64, 96))
    assert request.axes["x"].label(1) == "Size: 64x96"
    assert request.axes["y"].label(1) == "ink: 0.5"
    assert request.axes["z"].values == (3.0, 7.5) and request.axes["z"].label(0) == "CFG: 3"
    assert request.cell_count == 12
    assert request.axes["x"].to_json() == {"axis": "size", "values": [[512, 768], [64, 96]]}
    assert request.axes["y"].to_json()["lora"] == "style/ink.safetensors"
    single = parse(y={"axis": "slot", "slot": "outfits", "values": ["rain_jacket"]})
    assert list(single.axes) == ["y"] and single.axes["y"].label(0) == "outfits: rain_jacket"
    steps = parse(
        x={"axis": "steps", "values": [1, 20]},
        y={"axis": "checkpoint", "values": ["a/b.safetensors"]},
    )
    assert steps.axes["y"].label(0) == "Checkpoint: b"
    assert parse(x={"axis": "prompt_sr", "values": ["cat", "dog"]}).axes["x"].label(1) == "dog"


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({}, "empty_grid", "at least one axis"),
        ({"x": {"axis": "colour", "values": [1]}}, "unknown_axis", "axis x: unknown axis kind"),
        ({"y": {"axis": "seed"}}, "empty_axis", "axis y: values"),
        ({"x": {"axis": "seed", "values": []}}, "empty_axis", "axis x"),
        ({"x": "seed"}, "invalid_grid_axis", "axis x: must be an object"),
        ({"x": {"axis": "seed", "values": [-1]}}, "invalid_grid_axis", "axis x: seed must be"),
        ({"x": {"axis": "steps", "values": [0]}}, "invalid_grid_axis", "steps value 0"),
        ({"x": {"axis": "steps", "values": ["5"]}}, "invalid_grid_axis", 'steps value "5"'),
        ({"x": {"axis": "cfg", "values": [51]}}, "invalid_grid_axis", "cfg value 51"),
        ({"x": {"axis": "cfg", "values": [True]}}, "invalid_grid_axis", "cfg value true"),
        ({"x": {"axis": "size", "values": ["64x65"]}}, "invalid_size", '"64x65"'),
        ({"x": {"axis": "size", "values": ["big"]}}, "invalid_size", '"big"'),
        ({"z": {"axis": "size", "values": [[64]]}}, "invalid_size", "axis z"),
        ({"x": {"axis": "sampler", "values": [""]}}, "invalid_grid_axis", "sampler value"),
        ({"x": {"axis": "checkpoint", "values": ["../x"]}}, "invalid_checkpoint", "'..'"),
        ({"x": {"axis": "checkpoint", "values": [3]}}, "invalid_checkpoint", "value 3"),
        ({"x": {"axis": "lora_weight", "values": [1]}}, "invalid_grid_axis", '"lora"'),
        (
            {"x": {"axis": "lora_weight", "lora": "a.safetensors", "values": [11]}},
            "invalid_grid_axis",
            "lora_weight value 11",
        ),
        ({"x": {"axis": "slot", "values": ["a"]}}, "invalid_grid_axis", '"slot"'),
        (
            {"x": {"axis": "slot", "slot": "hats", "values": ["a"]}},
            "invalid_grid_axis",
            '"hats"',
        ),
        (
            {"x": {"axis": "slot", "slot": "characters", "values": ["no spaces"]}},
            "invalid_grid_axis",
            "slot value",
        ),
        (
            {"x": {"axis": "prompt_sr", "values": ["", "b"]}},
            "invalid_grid_axis",
            "must not be empty",
        ),
        ({"x": {"axis": "prompt_sr", "values": ["a", 2]}}, "invalid_grid_axis", "value 2"),
        ({"x": {"axis": "seed", "values": [1], "lora": "a"}}, "invalid_grid_axis", "lora"),
        (
            {"x": {"axis": "cfg", "values": [1]}, "y": {"axis": "cfg", "values": [2]}},
            "duplicate_axis",
            "axis y: axis x already varies cfg",
        ),
        (
            {
                "x": {"axis": "slot", "slot": "scenes", "values": ["a"]},
                "z": {"axis": "slot", "slot": "scenes", "values": ["b"]},
            },
            "duplicate_axis",
            "axis z",
        ),
        (
            {
                "x": {"axis": "seed", "values": list(range(5))},
                "y": {"axis": "cfg", "values": list(range(5))},
                "z": {"axis": "steps", "values": list(range(1, 6))},
            },
            "too_many_cells",
            "125 cells",
        ),
        ({"count": 3, "x": {"axis": "seed", "values": [1]}}, "unknown_field", "count"),
        ({"recipe": {}, "x": {"axis": "seed", "values": [1]}}, "preset_and_recipe", "not both"),
    ],
)
def test_bad_requests_name_the_problem(body: dict[str, Any], code: str, words: str) -> None:
    with pytest.raises(InvalidGrid) as refused:
        parse(**body)
    assert refused.value.code == code
    assert words in refused.value.message


def test_a_recipe_instead_of_a_preset() -> None:
    request = parse_grid_request(
        {"recipe": {"slots": {"styles": "watercolor"}}, "x": {"axis": "seed", "values": [1, 2]}}
    )
    assert request.preset is None
    assert request.recipe == {"slots": {"styles": "watercolor"}}
    with pytest.raises(InvalidGrid) as refused:
        parse_grid_request({"recipe": ["styles"], "x": {"axis": "seed", "values": [1]}})
    assert refused.value.code == "invalid_recipe"


def test_two_axes_of_one_kind_with_different_targets_are_fine() -> None:
    request = parse(
        x={"axis": "lora_weight", "lora": "a.safetensors", "values": [0, 1]},
        y={"axis": "lora_weight", "lora": "b.safetensors", "values": [0, 1]},
        z={"axis": "prompt_sr", "values": ["cat", "dog"]},
    )
    assert request.cell_count == 8


def test_a_preset_is_needed_and_generate_fields_are_checked() -> None:
    with pytest.raises(InvalidGrid) as refused:
        parse_grid_request({"x": {"axis": "seed", "values": [1]}})
    assert refused.value.code == "missing_preset"
    with pytest.raises(InvalidOptions) as invalid:
        parse(width=64, x={"axis": "seed", "values": [1]})
    assert invalid.value.code == "invalid_size"


def lists(**fields: Any) -> ModelLists:
    base: dict[str, Any] = {
        "checkpoints": frozenset({"a.safetensors"}),
        "loras": frozenset(),
        "vaes": frozenset(),
        "samplers": ("euler",),
        "schedulers": ("normal",),
    }
    return ModelLists(**{**base, **fields})


def test_backends_must_offer_checkpoints_samplers_and_schedulers() -> None:
    fine = parse(
        x={"axis": "checkpoint", "values": ["a.safetensors"]},
        y={"axis": "sampler", "values": ["euler", "heun"]},
    )
    backend_problems(fine, [lists(), lists(samplers=("heun",))])
    for axis, value, code in [
        ("checkpoint", "b.safetensors", "unknown_checkpoint"),
        ("sampler", "heun", "unknown_sampler"),
        ("scheduler", "karras", "unknown_scheduler"),
    ]:
        request = parse(y={"axis": axis, "values": [value]})
        with pytest.raises(InvalidGrid) as refused:
            backend_problems(request, [lists()])
        assert refused.value.code == code and value in refused.value.message
        assert refused.value.message.startswith("axis y:")
    backend_problems(parse(x={"axis": "sampler", "values": ["any"]}), [lists(samplers=None)])
