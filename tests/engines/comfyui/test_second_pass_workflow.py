"""build_workflow for img2img, inpainting and the hires pass: nodes, links, sizes, validation."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import httpx
import pytest
from PIL import Image

from gaze.engines.comfyui.second_pass import hires_size
from gaze.engines.comfyui.uploads import png_bytes
from gaze.engines.comfyui.workflow import UploadedImages, build_workflow
from gaze.engines.local.second_pass import hires_pass
from gaze.engines.local.upscale_methods import UPSCALER_METHODS
from gaze.generation_spec import (
    LATENT_UPSCALERS,
    PIXEL_UPSCALERS,
    GenerationSpec,
    HiresSpec,
    LoraSpec,
    SourceImage,
)
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory

INIT = SourceImage("inputs/a.png", "0" * 64)
MASK = SourceImage("inputs/m.png", "1" * 64)
UPLOADS = UploadedImages(init_image="init.png", mask="mask.png")
MODEL = "4x-UltraSharp.pth"
UPSCALERS = (*LATENT_UPSCALERS, *PIXEL_UPSCALERS, MODEL)
STARTS = ("txt2img", "img2img", "inpaint")


def spec(start: str = "txt2img", upscaler: str | None = None, **changes: Any) -> GenerationSpec:
    values: dict[str, Any] = {"width": 512, "height": 768, "seed": 99, "steps": 12}
    if start != "txt2img":
        values |= {"init_image": INIT, "denoise": 0.6}
    if start == "inpaint":
        values["mask"] = MASK
    if upscaler is not None:
        values["hires"] = HiresSpec(scale=1.5, denoise=0.45, steps=7, upscaler=upscaler)
    values.update(changes)
    return GenerationSpec("a lighthouse", "blurry", "sd15/base.safetensors", **values)


def edges(graph: dict[str, Any]) -> Counter[str]:
    """Every link as ``"Target.input <- Source[index]"``, counted: the graph's shape without
    its ids."""
    found: Counter[str] = Counter()
    for node in graph.values():
        for name, value in node["inputs"].items():
            if isinstance(value, list):
                source = graph[value[0]]["class_type"]
                found[f"{node['class_type']}.{name} <- {source}[{value[1]}]"] += 1
    return found


def types(graph: dict[str, Any]) -> list[str]:
    return sorted(node["class_type"] for node in graph.values())


TXT2IMG_EDGES = Counter(
    {
        "CLIPTextEncode.clip <- CheckpointLoaderSimple[1]": 2,
        "KSampler.model <- CheckpointLoaderSimple[0]": 1,
        "KSampler.positive <- CLIPTextEncode[0]": 1,
        "KSampler.negative <- CLIPTextEncode[0]": 1,
        "VAEDecode.samples <- KSampler[0]": 1,
        "VAEDecode.vae <- CheckpointLoaderSimple[2]": 1,
        "SaveImage.images <- VAEDecode[0]": 1,
    }
)


# -- the first pass -----------------------------------------------------------------------


def test_img2img_loads_and_encodes_the_uploaded_image() -> None:
    graph = build_workflow(spec("img2img"), UPLOADS)
    assert graph["12"] == {"class_type": "LoadImage", "inputs": {"image": "init.png"}}
    assert graph["13"] == {
        "class_type": "VAEEncode",
        "inputs": {"pixels": ["12", 0], "vae": ["4", 2]},
    }
    assert graph["3"]["inputs"]["latent_image"] == ["13", 0]
    assert graph["3"]["inputs"]["denoise"] == 0.6
    assert "5" not in graph  # no empty latent
    assert edges(graph) == TXT2IMG_EDGES + Counter(
        [
            "VAEEncode.pixels <- LoadImage[0]",
            "VAEEncode.vae <- CheckpointLoaderSimple[2]",
            "KSampler.latent_image <- VAEEncode[0]",
        ]
    )


def test_inpaint_sets_the_red_channel_as_the_noise_mask() -> None:
    graph = build_workflow(spec("inpaint"), UPLOADS)
    assert graph["14"] == {
        "class_type": "LoadImageMask",
        "inputs": {"image": "mask.png", "channel": "red"},
    }
    assert graph["15"] == {
        "class_type": "SetLatentNoiseMask",
        "inputs": {"samples": ["13", 0], "mask": ["14", 0]},
    }
    assert graph["3"]["inputs"]["latent_image"] == ["15", 0]
    assert edges(graph) == TXT2IMG_EDGES + Counter(
        [
            "VAEEncode.pixels <- LoadImage[0]",
            "VAEEncode.vae <- CheckpointLoaderSimple[2]",
            "SetLatentNoiseMask.samples <- VAEEncode[0]",
            "SetLatentNoiseMask.mask <- LoadImageMask[0]",
            "KSampler.latent_image <- SetLatentNoiseMask[0]",
        ]
    )


def test_text_to_image_is_unchanged_by_the_defaults() -> None:
    plain = build_workflow(spec())
    assert types(plain) == sorted(
        [
            "CheckpointLoaderSimple",
            "CLIPTextEncode",
            "CLIPTextEncode",
            "EmptyLatentImage",
            "KSampler",
            "VAEDecode",
            "SaveImage",
        ]
    )
    assert plain["3"]["inputs"]["denoise"] == 1.0
    assert edges(plain) == TXT2IMG_EDGES + Counter(["KSampler.latent_image <- EmptyLatentImage[0]"])


@pytest.mark.parametrize(
    ("job", "uploads", "problem"),
    [
        (spec("img2img"), None, "init image must be uploaded"),
        (spec("inpaint"), UploadedImages(init_image="init.png"), "mask must be uploaded"),
        (spec(mask=MASK), UPLOADS, "mask needs an init image"),
        (spec(loras=(LoraSpec("l.safetensors"),) * 81), None, "at most 80 LoRAs"),
    ],
)
def test_impossible_graphs_are_refused(
    job: GenerationSpec, uploads: UploadedImages | None, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        build_workflow(job, uploads)


# -- the second pass ----------------------------------------------------------------------


def hires_edges(start: str, upscaler: str) -> Counter[str]:
    """The links the second pass adds after the first KSampler, per kind of upscaler (the
    final VAEDecode's samples move from the first KSampler to the second)."""
    added = [
        "KSampler.model <- CheckpointLoaderSimple[0]",
        "KSampler.positive <- CLIPTextEncode[0]",
        "KSampler.negative <- CLIPTextEncode[0]",
    ]
    if upscaler in LATENT_UPSCALERS:
        added += [
            "LatentUpscaleBy.samples <- KSampler[0]",
            "KSampler.latent_image <- LatentUpscaleBy[0]",
        ]
        return Counter(added)
    added += [
        "VAEDecode.samples <- KSampler[0]",
        "VAEDecode.vae <- CheckpointLoaderSimple[2]",
        "VAEEncode.pixels <- ImageScale[0]",
        "VAEEncode.vae <- CheckpointLoaderSimple[2]",
    ]
    if upscaler == MODEL:
        added += [
            "ImageUpscaleWithModel.upscale_model <- UpscaleModelLoader[0]",
            "ImageUpscaleWithModel.image <- VAEDecode[0]",
            "ImageScale.image <- ImageUpscaleWithModel[0]",
        ]
    else:
        added.append("ImageScale.image <- VAEDecode[0]")
    if start == "inpaint":
        added += [
            "SetLatentNoiseMask.samples <- VAEEncode[0]",
            "SetLatentNoiseMask.mask <- LoadImageMask[0]",
            "KSampler.latent_image <- SetLatentNoiseMask[0]",
        ]
    else:
        added.append("KSampler.latent_image <- VAEEncode[0]")
    return Counter(added)


@pytest.mark.parametrize(("start", "upscaler"), list(itertools.product(STARTS, UPSCALERS)))
def test_every_start_and_upscaler_has_the_expected_shape(start: str, upscaler: str) -> None:
    first = build_workflow(spec(start), UPLOADS)
    graph = build_workflow(spec(start, upscaler), UPLOADS)
    # The first pass is kept whole; the final decode reads the second KSampler.
    for node_id, node in first.items():
        if node_id != "8":
            assert graph[node_id] == node
    assert graph["8"]["inputs"]["samples"] == ["106", 0]
    assert edges(graph) == edges(first) + hires_edges(start, upscaler)
    second = graph["106"]["inputs"]
    assert (second["seed"], second["steps"], second["denoise"]) == (99, 7, 0.45)
    assert (second["sampler_name"], second["scheduler"], second["cfg"]) == ("euler", "normal", 7.0)
    assert list(graph) == sorted(graph, key=int)


@pytest.mark.parametrize("upscaler", LATENT_UPSCALERS)
def test_latent_upscalers_use_comfyui_method_names(upscaler: str) -> None:
    method = {
        "latent": "nearest-exact",
        "latent-bilinear": "bilinear",
        "latent-bicubic": "bicubic",
        "latent-area": "area",
        "latent-bislerp": "bislerp",
    }[upscaler]
    graph = build_workflow(spec(upscaler=upscaler))
    assert graph["103"] == {
        "class_type": "LatentUpscaleBy",
        "inputs": {"samples": ["3", 0], "upscale_method": method, "scale_by": 1.5},
    }


@pytest.mark.parametrize("upscaler", PIXEL_UPSCALERS)
def test_pixel_upscalers_scale_to_the_exact_size(upscaler: str) -> None:
    graph = build_workflow(spec(upscaler=upscaler, width=520, height=336))
    assert graph["103"] == {
        "class_type": "ImageScale",
        "inputs": {
            "image": ["100", 0],
            "upscale_method": upscaler.removeprefix("pixel-"),
            "width": 784,  # 520 * 1.5 = 780 -> 97.5 * 8: ties to even, 98 * 8
            "height": 504,
            "crop": "disabled",
        },
    }


def test_an_upscale_model_is_followed_by_lanczos_to_the_size() -> None:
    graph = build_workflow(spec(upscaler=MODEL))
    assert graph["101"] == {"class_type": "UpscaleModelLoader", "inputs": {"model_name": MODEL}}
    assert graph["102"]["inputs"] == {"upscale_model": ["101", 0], "image": ["100", 0]}
    assert graph["103"]["inputs"]["upscale_method"] == "lanczos"
    assert (graph["103"]["inputs"]["width"], graph["103"]["inputs"]["height"]) == (768, 1152)


def test_hires_sampler_scheduler_and_steps_default_to_the_first_pass() -> None:
    hires = HiresSpec(scale=2.0, denoise=0.3)
    graph = build_workflow(spec(hires=hires, sampler="dpmpp_2m", scheduler="karras"))
    second = graph["106"]["inputs"]
    assert (second["steps"], second["sampler_name"], second["scheduler"]) == (
        12,
        "dpmpp_2m",
        "karras",
    )
    own = HiresSpec(scale=2.0, denoise=0.3, sampler="euler_ancestral", scheduler="exponential")
    second = build_workflow(spec(hires=own))["106"]["inputs"]
    assert (second["sampler_name"], second["scheduler"]) == ("euler_ancestral", "exponential")


def test_the_second_pass_uses_the_lora_model_and_the_named_vae() -> None:
    job = spec("img2img", MODEL, loras=(LoraSpec("detail.safetensors"),), vae="v.safetensors")
    graph = build_workflow(job, UPLOADS)
    assert graph["106"]["inputs"]["model"] == ["20", 0]
    assert graph["100"]["inputs"]["vae"] == graph["104"]["inputs"]["vae"] == ["11", 0]


def comfyui_latent_upscale_by(width: int, height: int, scale: float) -> tuple[int, int]:
    """ComfyUI's LatentUpscaleBy on a width x height image's latent, in pixels."""
    return round(width // 8 * scale) * 8, round(height // 8 * scale) * 8


def test_latent_upscale_by_rounds_as_the_hires_rule_for_multiples_of_eight() -> None:
    scales = [1 + step / 100 for step in range(301)] + [1.125, 1.375, 1.0625, 2.5625]
    for width, scale in itertools.product(range(64, 2049, 8), scales):
        job = spec(width=width, height=width, hires=HiresSpec(scale=scale))
        assert comfyui_latent_upscale_by(width, width, scale) == hires_size(job, job.hires), (
            width,
            scale,
        )


def test_sizes_off_the_multiple_of_eight_spell_the_latent_size_out() -> None:
    graph = build_workflow(spec(upscaler="latent-bicubic", width=515, height=771))
    assert graph["103"] == {
        "class_type": "LatentUpscale",
        "inputs": {
            "samples": ["3", 0],
            "upscale_method": "bicubic",
            "width": 776,
            "height": 1160,
            "crop": "disabled",
        },
    }


# -- acceptance by ComfyUI-style validation -------------------------------------------------


def upload(standin: ComfyUIStandIn, name: str) -> None:
    data = png_bytes(Image.new("RGB", (512, 768), (10, 20, 30)))
    response = httpx.post(
        f"{standin.url}/upload/image",
        files={"image": (name, data, "image/png")},
        data={"type": "input"},
        trust_env=False,
    )
    assert response.status_code == 200, response.text


def test_every_combination_passes_comfyui_validation(standin_factory: StandInFactory) -> None:
    standin = standin_factory(
        models={"checkpoints": ["sd15/base.safetensors"], "upscale_models": [MODEL]}
    )
    upload(standin, "init.png")
    upload(standin, "mask.png")
    for start, upscaler in itertools.product(STARTS, (None, *UPSCALERS)):
        graph = build_workflow(spec(start, upscaler), UPLOADS)
        response = httpx.post(f"{standin.url}/prompt", json={"prompt": graph}, trust_env=False)
        assert response.status_code == 200, (start, upscaler, response.text)


def test_an_image_missing_on_the_server_fails_validation_as_comfyui_reports_it(
    standin: ComfyUIStandIn,
) -> None:
    graph = build_workflow(spec("img2img"), UploadedImages(init_image="gone.png"))
    response = httpx.post(f"{standin.url}/prompt", json={"prompt": graph}, trust_env=False)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert body["node_errors"]["12"] == {
        "errors": [
            {
                "type": "custom_validation_failed",
                "message": "Custom validation failed for node",
                "details": "image - Invalid image file: gone.png",
                "extra_info": {"input_name": "image"},
            }
        ],
        "dependent_outputs": ["9"],
        "class_type": "LoadImage",
    }


# -- the same plan as the embedded engine ----------------------------------------------------


@pytest.mark.parametrize("upscaler", UPSCALERS)
@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(512, 768, 1.5), (520, 336, 1.5), (832, 1216, 1.25), (64, 64, 4.0)],
)
def test_the_graph_samples_the_plan_of_the_embedded_engine(
    upscaler: str, width: int, height: int, scale: float
) -> None:
    hires = HiresSpec(scale=scale, denoise=0.3, steps=None, upscaler=upscaler, sampler="heun")
    job = spec("inpaint", width=width, height=height, hires=hires)
    plan = hires_pass(job, hires)
    graph = build_workflow(job, UPLOADS)
    second = graph["106"]["inputs"]
    assert (second["steps"], second["denoise"]) == (plan.steps, plan.denoise)
    assert (second["sampler_name"], second["scheduler"]) == (plan.sampler, plan.scheduler)
    assert hires_size(job, hires) == (plan.width, plan.height)
    upscale = graph["103"]["inputs"]
    if upscaler in LATENT_UPSCALERS:
        assert comfyui_latent_upscale_by(width, height, upscale["scale_by"]) == (
            plan.width,
            plan.height,
        )
    else:
        assert (upscale["width"], upscale["height"]) == (plan.width, plan.height)
    assert upscale["upscale_method"] == UPSCALER_METHODS.get(upscaler, "lanczos")
