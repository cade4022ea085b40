"""The preset editor's hires fields <-> a preset's ``hires`` pass, and the upscalers offered."""

from __future__ import annotations

from gaze.engines.model_lists import ModelLists
from gaze.generation_spec import LATENT_UPSCALERS, PIXEL_UPSCALERS
from gaze.library.checkpoint_catalogue import BackendModels
from gaze.web.preset_form import editor_state, preset_document
from gaze.web.views.upscaler_choices import upscaler_choices


def form(**fields: str) -> dict[str, list[str]]:
    values = {"id": ["p"], "name": ["P"]}
    values.update({name.replace("__", "."): [value] for name, value in fields.items()})
    return values


def test_an_enabled_hires_pass_is_read_with_its_numbers() -> None:
    document = preset_document(
        form(
            hires__enabled="1",
            hires__scale="2",
            hires__denoise="0.45",
            hires__steps="12",
            hires__upscaler="4x-Test.pth",
            hires__sampler="dpmpp_2m",
            hires__scheduler="",
        )
    )
    assert document["hires"] == {
        "scale": 2.0,
        "denoise": 0.45,
        "steps": 12,
        "upscaler": "4x-Test.pth",
        "sampler": "dpmpp_2m",
    }


def test_blank_hires_fields_are_left_to_the_defaults_and_bad_numbers_passed_on() -> None:
    document = preset_document(form(hires__enabled="1", hires__scale="", hires__denoise="lots"))
    assert document["hires"] == {"denoise": "lots", "upscaler": "latent"}


def test_hires_fields_without_the_checkbox_give_no_pass() -> None:
    document = preset_document(form(hires__scale="2", hires__denoise="0.4"))
    assert "hires" not in document


def test_the_editor_shows_a_stored_pass_and_offers_defaults_without_one() -> None:
    stored = {"hires": {"scale": 2.5, "denoise": 0.3, "upscaler": "pixel-lanczos"}}
    shown = editor_state(stored)["hires"]
    assert shown == {
        "enabled": True,
        "scale": 2.5,
        "denoise": 0.3,
        "steps": "",
        "upscaler": "pixel-lanczos",
        "sampler": "",
        "scheduler": "",
    }
    offered = editor_state({})["hires"]
    assert offered["enabled"] is False
    assert (offered["scale"], offered["denoise"], offered["upscaler"]) == (1.5, 0.5, "latent")
    again = preset_document(
        form(
            **{f"hires__{key}": str(value) for key, value in shown.items() if key != "enabled"},
            hires__enabled="1",
        )
    )
    assert again["hires"] == stored["hires"]


def test_upscalers_are_the_methods_then_every_backends_models_once() -> None:
    def backend(name: str, models: set[str]) -> BackendModels:
        lists = ModelLists(frozenset(), frozenset(), frozenset(), upscale_models=frozenset(models))
        return BackendModels(name, lists)

    local = backend("local", {"b/4x-Two.pth", "4x-One.safetensors"})
    choices = upscaler_choices([local, backend("comfy", {"4x-One.safetensors"})])
    assert [option["value"] for option in choices["Latent"]] == list(LATENT_UPSCALERS)
    assert [option["value"] for option in choices["Pixels"]] == list(PIXEL_UPSCALERS)
    assert choices["Latent"][0]["label"] == "Latent (nearest exact)"
    assert [option["value"] for option in choices["Upscale models"]] == [
        "4x-One.safetensors",
        "b/4x-Two.pth",
    ]
