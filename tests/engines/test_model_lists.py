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
from gaze.generation_spec import GenerationSpec, HiresSpec, LoraSpec
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
    assert problem == "no single backend has everything this generation needs"


def test_preflight_without_reachable_backends() -> None:
    assert preflight_problem(SPEC, []) == "no backend is reachable to check the models against"


def sampling_lists(
    backend: str,
    samplers: tuple[str, ...] | None = ("euler", "dpmpp_2m"),
    schedulers: tuple[str, ...] | None = ("normal", "karras"),
    weightings: tuple[str, ...] = ("comfyui",),
    upscale_models: tuple[str, ...] = (),
) -> ModelLists:
    return dataclasses.replace(
        lists(),
        samplers=samplers,
        schedulers=schedulers,
        prompt_weightings=frozenset(weightings),
        upscale_models=frozenset(upscale_models),
        backend=backend,
    )


def test_a_sampler_or_scheduler_no_backend_runs_is_named_with_the_backends() -> None:
    backends = [sampling_lists("local"), sampling_lists("http://gpu:8188")]
    spec = dataclasses.replace(SPEC, sampler="lcm", scheduler="beta")
    assert preflight_problem(spec, backends) == (
        "not available on any backend (local, http://gpu:8188): sampler 'lcm', scheduler 'beta'"
    )
    assert preflight_problem(dataclasses.replace(SPEC, sampler="dpmpp_2m"), backends) is None


def test_a_backend_that_could_not_say_what_it_runs_is_not_held_to_a_list() -> None:
    spec = dataclasses.replace(SPEC, sampler="lcm")
    assert lacking(sampling_lists("x", samplers=None, schedulers=None), spec) == []


def test_a1111_weighting_needs_a_backend_that_offers_it() -> None:
    spec = dataclasses.replace(SPEC, prompt_weighting="a1111")
    comfy_only = [sampling_lists("http://gpu:8188")]
    assert preflight_problem(spec, comfy_only) == (
        "not available on any backend (http://gpu:8188): prompt weighting 'a1111'"
    )
    both = [*comfy_only, sampling_lists("local", weightings=("comfyui", "a1111"))]
    assert preflight_problem(spec, both) is None


def test_a_custom_workflow_picks_its_own_sampler() -> None:
    spec = with_template(dataclasses.replace(SPEC, sampler="lcm"), text_to_image_template())
    assert Requirements.of(spec).sampler is None
    assert "sampler 'lcm'" not in lacking(sampling_lists("x"), spec)


def test_a_hires_upscale_model_is_needed_like_a_lora_and_methods_are_not() -> None:
    model = dataclasses.replace(SPEC, hires=HiresSpec(upscaler="4x/ultrasharp.pth"))
    method = dataclasses.replace(SPEC, hires=HiresSpec(upscaler="pixel-lanczos"))
    assert ModelNeed("upscale_models", "4x/ultrasharp.pth") in model_needs(model)
    assert all(need.folder != "upscale_models" for need in model_needs(method))
    assert lacking(sampling_lists("x"), model) == ["upscale model '4x/ultrasharp.pth'"]
    assert lacking(sampling_lists("x", upscale_models=("4x/ultrasharp.pth",)), model) == []


def test_a_template_job_it_cannot_run_is_refused_by_the_preflight() -> None:
    spec = with_template(
        dataclasses.replace(SPEC, hires=HiresSpec(upscaler="pixel-lanczos")),
        text_to_image_template(),
    )
    problem = preflight_problem(spec, [lists()])
    assert problem is not None
    assert problem.startswith("its workflow template cannot run it: ")
    assert "hires" in problem
