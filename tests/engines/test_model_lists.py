"""What a spec needs from a backend, and the preflight's verdict over several backends."""

from __future__ import annotations

import dataclasses

from gaze.engines.model_lists import (
    ModelLists,
    ModelNeed,
    Requirements,
    model_needs,
    preflight_problem,
)
from gaze.generation_spec import GenerationSpec, LoraSpec
from tests.support.template_examples import (
    fixed_vae_template,
    text_to_image_template,
    with_template,
)

SD15 = "sd15/base.safetensors"
SDXL = "sdxl/illustrious.safetensors"
SPEC = GenerationSpec(
    "a fox",
    "blurry",
    SD15,
    loras=(LoraSpec("detail.safetensors"), LoraSpec("style/ink.safetensors", 0.5, 0.5)),
    vae="sdxl_vae.safetensors",
)


def lists(
    checkpoints: tuple[str, ...] = (SD15,),
    loras: tuple[str, ...] = ("detail.safetensors", "style/ink.safetensors"),
    vaes: tuple[str, ...] = ("sdxl_vae.safetensors",),
    *,
    templates: bool = True,
) -> ModelLists:
    return ModelLists(frozenset(checkpoints), frozenset(loras), frozenset(vaes), templates)


def lacking(backend: ModelLists, spec: GenerationSpec) -> list[str]:
    return backend.unmet(Requirements.of(spec))


def test_the_built_in_graph_needs_checkpoint_loras_and_vae() -> None:
    assert model_needs(SPEC) == [
        ModelNeed("checkpoints", SD15),
        ModelNeed("loras", "detail.safetensors"),
        ModelNeed("loras", "style/ink.safetensors"),
        ModelNeed("vae", "sdxl_vae.safetensors"),
    ]


def test_a_template_needs_what_it_uses_and_what_it_names() -> None:
    needs = model_needs(SPEC, fixed_vae_template("other_vae.safetensors"))
    assert needs == [
        ModelNeed("checkpoints", SD15),
        ModelNeed("loras", "detail.safetensors"),
        ModelNeed("loras", "style/ink.safetensors"),
        ModelNeed("vae", "other_vae.safetensors"),  # the template's, not the spec's
    ]
    fixed = text_to_image_template()
    fixed["4"]["inputs"]["ckpt_name"] = SDXL
    del fixed["30"]
    fixed["3"]["inputs"]["model"] = ["4", 0]
    for node in ("6", "7"):
        fixed[node]["inputs"]["clip"] = ["4", 1]
    assert model_needs(SPEC, fixed) == [ModelNeed("checkpoints", SDXL)]


def test_unmet_names_each_missing_file() -> None:
    assert lacking(lists(), SPEC) == []
    assert lacking(lists(checkpoints=(SDXL,), loras=("detail.safetensors",), vaes=()), SPEC) == [
        f"checkpoint {SD15!r}",
        "LoRA 'style/ink.safetensors'",
        "VAE 'sdxl_vae.safetensors'",
    ]


def test_windows_spelling_in_a_template_matches_posix_lists() -> None:
    doc = fixed_vae_template("sdxl\\vae.safetensors")
    spec = with_template(dataclasses.replace(SPEC, loras=()), doc)
    assert lacking(lists(vaes=("sdxl/vae.safetensors",)), spec) == []


def test_a_custom_workflow_needs_a_backend_that_runs_templates() -> None:
    spec = with_template(SPEC, text_to_image_template())
    assert Requirements.of(spec).custom_workflow
    assert lacking(lists(templates=False), spec) == ["support for custom ComfyUI workflows"]
    assert lacking(lists(templates=True), spec) == []
    assert preflight_problem(spec, [lists(templates=False)]) == (
        "it uses a custom ComfyUI workflow and no ComfyUI backend is reachable"
    )
    assert preflight_problem(spec, [lists(templates=False), lists()]) is None


def test_preflight_passes_when_one_backend_has_everything() -> None:
    assert preflight_problem(SPEC, [lists(checkpoints=(SDXL,)), lists()]) is None


def test_preflight_names_what_no_backend_has() -> None:
    problem = preflight_problem(SPEC, [lists(vaes=()), lists(loras=(), vaes=())])
    assert problem == "not available on any backend: VAE 'sdxl_vae.safetensors'"


def test_preflight_when_the_models_are_spread_over_backends() -> None:
    problem = preflight_problem(SPEC, [lists(vaes=()), lists(checkpoints=())])
    assert problem == "no single backend has all of this generation's models"


def test_preflight_without_reachable_backends() -> None:
    assert preflight_problem(SPEC, []) == "no backend is reachable to check the models against"
