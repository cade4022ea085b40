"""`prompt_weighting` on checkpoints and presets: the schemas, the resolved spec and PNG info."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

from gaze.library.fields import describe_errors
from gaze.library.schema import CheckpointSettings
from gaze.media.png_metadata import a1111_parameters
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.presets.schema import Preset
from tests.presets.builders import SD1, checkpoint, library, preset

ALLOWED = "prompt_weighting: Input should be 'comfyui' or 'a1111'"


@pytest.mark.parametrize(
    ("on_checkpoint", "on_preset", "expected"),
    [
        (None, None, "comfyui"),
        ("a1111", None, "a1111"),
        ("comfyui", None, "comfyui"),
        (None, "a1111", "a1111"),
        ("a1111", "comfyui", "comfyui"),
        ("comfyui", "a1111", "a1111"),
    ],
)
def test_the_preset_wins_over_the_checkpoint_which_wins_over_the_default(
    on_checkpoint: str | None, on_preset: str | None, expected: str
) -> None:
    lib = library(checkpoints=(checkpoint(SD1, prompt_weighting=on_checkpoint),))
    spec = resolve_preset(preset(prompt_weighting=on_preset), lib, Overrides(), 7).spec
    assert spec.prompt_weighting == expected


def test_both_settings_are_optional_and_stored_as_given() -> None:
    assert checkpoint(SD1).prompt_weighting is None
    assert preset().prompt_weighting is None
    stored = preset(prompt_weighting="a1111").model_dump(mode="json")
    assert stored["prompt_weighting"] == "a1111"
    assert Preset.model_validate(stored).prompt_weighting == "a1111"


def _problems(
    model: type[Preset] | type[CheckpointSettings], document: dict[str, Any]
) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(document)
    return describe_errors(caught.value)


@pytest.mark.parametrize("value", ["foo", "A1111", "", 1])
def test_an_unknown_weighting_is_refused_naming_the_field_and_the_choices(value: Any) -> None:
    document = {"id": "p", "name": "P", "prompt_weighting": value}
    assert _problems(Preset, document) == [ALLOWED]
    settings = {"path": "m.safetensors", "prompt_weighting": value}
    assert _problems(CheckpointSettings, settings) == [ALLOWED]


def test_png_parameters_mention_the_weighting_only_when_it_is_a1111() -> None:
    lib = library(checkpoints=(checkpoint(SD1, clip_skip=2),))
    spec = resolve_preset(preset(positive="(sunset:1.2)"), lib, Overrides(), 3).spec
    plain = a1111_parameters(spec)
    assert "Prompt weighting" not in plain
    weighted = a1111_parameters(dataclasses.replace(spec, prompt_weighting="a1111"))
    assert weighted == plain + ", Prompt weighting: a1111"
    assert plain.endswith("Clip skip: 2")
