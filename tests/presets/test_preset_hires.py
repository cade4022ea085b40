"""A preset's default hires pass: its rules, and how a request's `hires` overrides it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

from gaze.generation_spec import HiresSpec
from gaze.library.fields import describe_errors
from gaze.presets.resolve import FROM_PRESET, Overrides, resolve_preset
from gaze.presets.schema import HiresSettings, Preset
from tests.presets.builders import library, preset

PRESET_HIRES = {"scale": 2, "denoise": 0.45, "steps": 12, "upscaler": "pixel-lanczos"}


def problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        preset(**document)
    return describe_errors(caught.value)


def test_a_preset_carries_a_hires_pass_with_defaults_for_what_it_leaves_out() -> None:
    stored = preset(hires={"scale": 1.75})
    assert stored.hires == HiresSettings(scale=1.75)
    assert stored.hires is not None
    assert stored.hires.to_spec() == HiresSpec(scale=1.75, denoise=0.5, upscaler="latent")
    assert preset().hires is None
    again = Preset.model_validate(stored.model_dump())
    assert again == stored


@pytest.mark.parametrize(
    ("hires", "where", "words"),
    [
        ({"scale": 0.5}, "hires.scale", "greater than or equal to 1"),
        ({"scale": 4.5}, "hires.scale", "less than or equal to 4"),
        ({"denoise": 1.2}, "hires.denoise", "less than or equal to 1"),
        ({"steps": 0}, "hires.steps", "greater than or equal to 1"),
        ({"upscaler": "magic"}, "hires.upscaler", "upscale model file"),
        ({"upscaler": "../4x.pth"}, "hires.upscaler", "upscale model file"),
        ({"sampler": "not a name!"}, "hires.sampler", "sampler or scheduler name"),
        ({"scale": "2"}, "hires.scale", "valid number"),
        ({"strength": 0.5}, "hires.strength", "Extra inputs are not permitted"),
    ],
)
def test_bad_hires_settings_are_refused_naming_the_field(
    hires: dict[str, Any], where: str, words: str
) -> None:
    [problem] = problems({"hires": hires})
    assert problem.startswith(f"{where}:"), problem
    assert words in problem, problem


def test_upscale_models_in_subfolders_and_every_method_are_accepted() -> None:
    for upscaler in ("latent-bislerp", "pixel-area", "esrgan/4x-UltraSharp.pth", "x.safetensors"):
        assert HiresSettings(upscaler=upscaler).upscaler == upscaler


def resolved_hires(stored: Preset, override: Any = FROM_PRESET) -> HiresSpec | None:
    return resolve_preset(stored, library(), Overrides(hires=override), seed=3).spec.hires


def test_the_request_overrides_the_presets_hires_pass_or_turns_it_off() -> None:
    with_hires = preset(hires=PRESET_HIRES)
    without = preset()
    expected = HiresSpec(scale=2.0, denoise=0.45, steps=12, upscaler="pixel-lanczos")
    assert resolved_hires(with_hires) == expected
    assert resolved_hires(without) is None
    own = HiresSpec(scale=1.5, denoise=0.3, upscaler="latent-bicubic", sampler="dpmpp_2m")
    assert resolved_hires(with_hires, own) == own
    assert resolved_hires(without, own) == own
    assert resolved_hires(with_hires, None) is None


def test_the_hires_pass_changes_no_other_choice_of_the_seed() -> None:
    plain = resolve_preset(preset(), library(), Overrides(), seed=11).spec
    hires = resolve_preset(preset(hires=PRESET_HIRES), library(), Overrides(), seed=11).spec
    assert hires.hires is not None
    assert plain == dataclasses.replace(hires, hires=None)
