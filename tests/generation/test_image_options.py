"""The generate request's init image, mask and hires options, as the API and the web UI parse
them (shapes and ranges; the files are checked at submit)."""

from __future__ import annotations

from typing import Any

import pytest

from gaze.generation.options import parse_generation_options
from gaze.generation_spec import HiresSpec
from gaze.presets.resolve import FROM_PRESET
from gaze.service_errors import ServiceError

INIT = "inputs/0123abcd.png"


def refused(values: dict[str, Any], from_form: bool = False) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse_generation_options(values, from_form=from_form)
    assert caught.value.status == 400
    return caught.value


def test_no_image_fields_leave_the_preset_as_it_is() -> None:
    images = parse_generation_options({}).images
    assert images.init_image is None and images.mask is None and images.denoise is None
    assert images.hires is FROM_PRESET


def test_every_field_is_read() -> None:
    images = parse_generation_options(
        {
            "init_image": INIT,
            "denoise": 0.4,
            "resize": "pad",
            "mask": "presets/p/gen_1.png",
            "mask_blur": 2,
            "mask_grow": 0,
            "hires": {"scale": 2, "denoise": 0.3, "steps": 8, "upscaler": "4x.pth"},
        }
    ).images
    assert (images.init_image, images.denoise, images.resize) == (INIT, 0.4, "pad")
    assert (images.mask, images.mask_blur, images.mask_grow) == ("presets/p/gen_1.png", 2, 0)
    assert images.hires == HiresSpec(scale=2.0, denoise=0.3, steps=8, upscaler="4x.pth")


def test_hires_null_turns_the_presets_pass_off() -> None:
    assert parse_generation_options({"hires": None}).images.hires is None
    assert parse_generation_options({"hires": {}}).images.hires == HiresSpec()


@pytest.mark.parametrize(
    ("values", "code", "words"),
    [
        ({"mask": "inputs/m.png"}, "mask_without_init_image", "mask needs an init_image"),
        ({"denoise": 0.5}, "denoise_without_init_image", "denoise needs an init_image"),
        ({"resize": "crop"}, "resize_without_init_image", "resize needs an init_image"),
        ({"init_image": INIT, "mask_blur": 3}, "mask_blur_without_mask", "mask_blur needs"),
        ({"init_image": 5}, "invalid_init_image", "init_image must be a string"),
        ({"init_image": "../gaze.db"}, "invalid_init_image", "init_image must be a path inside"),
        ({"init_image": "/etc/passwd"}, "invalid_init_image", "init_image must be a path"),
        ({"init_image": INIT, "mask": "a\\b.png"}, "invalid_mask", "mask must be a relative"),
        ({"init_image": INIT, "denoise": 1.5}, "invalid_denoise", "from 0 to 1, got 1.5"),
        ({"init_image": INIT, "denoise": True}, "invalid_denoise", "denoise must be a number"),
        ({"init_image": INIT, "denoise": "0.5"}, "invalid_denoise", "denoise must be a number"),
        ({"init_image": INIT, "resize": "fit"}, "invalid_resize", "crop, stretch, pad"),
        (
            {"init_image": INIT, "mask": INIT, "mask_grow": 2.5},
            "invalid_mask_grow",
            "whole number of pixels from 0 to 128",
        ),
        ({"init_image": INIT, "mask": INIT, "mask_blur": 500}, "invalid_mask_blur", "got 500"),
        ({"hires": 2}, "invalid_hires", "hires must be an object"),
        ({"hires": {"scale": 5}}, "invalid_hires", "hires.scale: Input should be less"),
        ({"hires": {"upscaler": "x"}}, "invalid_hires", "hires.upscaler: must be one of latent"),
        ({"hires": {"steps": 2.5}}, "invalid_hires", "hires.steps"),
        ({"hires": {"size": 2}}, "invalid_hires", "hires.size: Extra inputs"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    values: dict[str, Any], code: str, words: str
) -> None:
    error = refused(values)
    assert error.code == code, error.message
    assert words in error.message, error.message


def test_a_form_sends_text_and_blanks() -> None:
    images = parse_generation_options(
        {"init_image": f" {INIT} ", "denoise": "0.35", "resize": "", "mask": "", "csrf": "x"},
        from_form=True,
        strict=False,
    ).images
    assert (images.init_image, images.denoise, images.resize, images.mask) == (
        INIT,
        0.35,
        None,
        None,
    )
    assert refused({"init_image": INIT, "denoise": "lots"}, from_form=True).code == (
        "invalid_denoise"
    )


def test_the_api_still_refuses_unknown_fields_and_lists_the_new_ones() -> None:
    error = refused({"strength": 0.5})
    assert error.code == "unknown_field"
    for name in ("init_image", "denoise", "resize", "mask", "mask_blur", "mask_grow", "hires"):
        assert name in error.message
