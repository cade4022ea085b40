"""Every second-pass field of a generate request through a real `gaze serve` whose backend is
the stand-in ComfyUI: what the stand-in received (nodes, inputs, uploaded files) and what
GAZE saved (a done job, an image of the expected size)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from devkit.server import GazeServer
from tests.comfyui_standin import ComfyUIStandIn
from tests.engines.comfyui.e2e.conftest import PreparedData
from tests.engines.comfyui.e2e.gaze_calls import finished_jobs, png_of, queue_generation
from tests.engines.comfyui.e2e.second_pass_calls import (
    PRESET,
    SECOND_PASS_MODELS,
    UPSCALE_MODEL,
    class_types,
    input_file,
    last_graph,
    nodes_of,
    refusal,
    square_mask,
    three_bands,
    upload,
)
from tests.support.gaze_servers import GazeServers

SMALL = {"width": 64, "height": 64}
PRESET_STEPS = 4


@pytest.fixture(scope="module")
def comfy() -> Iterator[ComfyUIStandIn]:
    """One stand-in for the module: the tests read the graph of their own (last) prompt."""
    with ComfyUIStandIn(models=SECOND_PASS_MODELS, step_delay=0.005) as standin:
        yield standin


@pytest.fixture(scope="module")
def gaze(
    comfy: ComfyUIStandIn, comfy_data: PreparedData, gaze_servers: GazeServers
) -> Iterator[GazeServer]:
    with gaze_servers.running(
        name="second_pass_fields",
        source=comfy_data.path,
        api_key=comfy_data.api_key,
        timeout=60,
        env={"GAZE_BACKENDS": comfy.url},
    ) as running:
        yield running


def generated(gaze: GazeServer, **body: Any) -> tuple[dict[str, Any], Image.Image]:
    """Queue one job on the preset, wait until it is done; the job and its PNG."""
    [job] = finished_jobs(gaze, queue_generation(gaze, PRESET, **body))
    assert job["status"] == "done", job
    return job, png_of(gaze, job)


def test_an_uploaded_init_image_is_loaded_encoded_and_denoised(
    gaze: GazeServer, comfy: ComfyUIStandIn
) -> None:
    init = upload(gaze, three_bands(96, 64))
    _, image = generated(gaze, init_image=init, denoise=0.55, seed=5)
    assert image.size == (96, 64)  # the init image's own size
    graph = last_graph(comfy)
    assert "EmptyLatentImage" not in class_types(graph)
    [loaded] = nodes_of(graph, "LoadImage")
    assert input_file(comfy, loaded["image"]).size == (96, 64)
    [encode] = nodes_of(graph, "VAEEncode")
    assert encode["pixels"] == ["12", 0]
    [sampler] = nodes_of(graph, "KSampler")
    assert (sampler["denoise"], sampler["steps"], sampler["seed"]) == (0.55, PRESET_STEPS, 5)
    assert sampler["latent_image"] == ["13", 0]


def test_a_gallery_image_is_an_init_image_too(gaze: GazeServer, comfy: ComfyUIStandIn) -> None:
    first, first_image = generated(gaze, seed=6, **SMALL)
    _, image = generated(gaze, init_image=first["result"]["relative_path"], seed=7)
    assert image.size == first_image.size == (64, 64)
    [loaded] = nodes_of(last_graph(comfy), "LoadImage")
    sent = input_file(comfy, loaded["image"]).convert("RGB")
    assert sent.tobytes() == first_image.convert("RGB").tobytes()
    assert nodes_of(last_graph(comfy), "KSampler")[0]["denoise"] == 0.75  # the default


@pytest.mark.parametrize(
    ("resize", "probes"),
    [
        # 96x64 -> 64x64. crop keeps the middle 64 columns (x 16..79): green at x 20;
        # stretch squeezes all three bands: red at x 8, green in the middle, blue at x 56;
        # pad fits 64x43 between grey bars.
        ("crop", {(20, 32): "G", (4, 32): "R", (60, 32): "B"}),
        ("stretch", {(8, 32): "R", (32, 32): "G", (56, 32): "B"}),
        ("pad", {(32, 2): "grey", (32, 32): "G", (32, 61): "grey"}),
    ],
)
def test_resize_modes_bring_the_init_image_to_the_requested_size(
    gaze: GazeServer, comfy: ComfyUIStandIn, resize: str, probes: dict[tuple[int, int], str]
) -> None:
    init = upload(gaze, three_bands(96, 64))
    _, image = generated(gaze, init_image=init, resize=resize, seed=8, **SMALL)
    assert image.size == (64, 64)
    [loaded] = nodes_of(last_graph(comfy), "LoadImage")
    sent = input_file(comfy, loaded["image"]).convert("RGB")
    assert sent.size == (64, 64)
    for point, colour in probes.items():
        red, green, blue = sent.getpixel(point)
        if colour == "grey":
            assert max(abs(value - 128) for value in (red, green, blue)) <= 2, (point, resize)
        else:
            strongest = "RGB"[int(np.argmax([red, green, blue]))]
            assert strongest == colour, (point, resize, (red, green, blue))


def test_mask_blur_and_grow_shape_the_uploaded_mask(
    gaze: GazeServer, comfy: ComfyUIStandIn
) -> None:
    init = upload(gaze, three_bands(64, 64))
    mask = upload(gaze, square_mask())

    def sent_mask(**fields: int) -> np.ndarray:
        generated(gaze, init_image=init, mask=mask, denoise=0.9, seed=9, **fields)
        graph = last_graph(comfy)
        [loader] = nodes_of(graph, "LoadImageMask")
        assert loader["channel"] == "red"
        [noise_mask] = nodes_of(graph, "SetLatentNoiseMask")
        assert noise_mask == {"samples": ["13", 0], "mask": ["14", 0]}
        assert nodes_of(graph, "KSampler")[0]["latent_image"] == ["15", 0]
        return np.asarray(input_file(comfy, loader["image"]).convert("L"), dtype=np.int32)

    sharp = sent_mask(mask_blur=0, mask_grow=0)
    assert set(np.unique(sharp)) == {0, 255}
    assert np.array_equal(sharp, np.asarray(square_mask().convert("L"), dtype=np.int32))
    grown = sent_mask(mask_blur=0, mask_grow=4)
    assert (grown == 255).sum() == 40 * 40  # the 32 px square, 4 px more on every side
    blurred = sent_mask(mask_blur=3, mask_grow=0)
    assert ((blurred > 0) & (blurred < 255)).any()  # soft edges
    assert blurred[32, 32] == 255 and blurred[0, 0] == 0


@pytest.mark.parametrize(
    ("upscaler", "nodes"),
    [
        ("latent", {"LatentUpscaleBy"}),
        ("latent-bislerp", {"LatentUpscaleBy"}),
        ("pixel-lanczos", {"VAEDecode", "ImageScale", "VAEEncode"}),
        ("pixel-nearest-exact", {"VAEDecode", "ImageScale", "VAEEncode"}),
        (UPSCALE_MODEL, {"UpscaleModelLoader", "ImageUpscaleWithModel", "ImageScale", "VAEEncode"}),
    ],
)
def test_hires_with_each_kind_of_upscaler(
    gaze: GazeServer, comfy: ComfyUIStandIn, upscaler: str, nodes: set[str]
) -> None:
    hires = {"scale": 1.5, "denoise": 0.45, "steps": 3, "upscaler": upscaler}
    _, image = generated(gaze, hires=hires, seed=10, **SMALL)
    assert image.size == (96, 96)
    graph = last_graph(comfy)
    assert nodes <= class_types(graph)
    first, second = nodes_of(graph, "KSampler")
    assert (first["steps"], first["denoise"]) == (PRESET_STEPS, 1.0)
    assert (second["steps"], second["denoise"], second["seed"]) == (3, 0.45, 10)
    assert second["sampler_name"] == first["sampler_name"]
    assert second["scheduler"] == first["scheduler"]
    if upscaler.startswith("latent"):
        [scale] = nodes_of(graph, "LatentUpscaleBy")
        assert scale["scale_by"] == 1.5
        assert scale["upscale_method"] == {"latent": "nearest-exact"}.get(upscaler, "bislerp")
        assert second["latent_image"] == ["103", 0]
    else:
        [resize] = nodes_of(graph, "ImageScale")
        assert (resize["width"], resize["height"]) == (96, 96)
        assert second["latent_image"] == ["104", 0]
    if upscaler == UPSCALE_MODEL:
        assert nodes_of(graph, "UpscaleModelLoader") == [{"model_name": UPSCALE_MODEL}]
        [with_model] = nodes_of(graph, "ImageUpscaleWithModel")
        assert with_model == {"upscale_model": ["101", 0], "image": ["100", 0]}


def test_hires_sampler_and_scheduler_reach_the_second_ksampler(
    gaze: GazeServer, comfy: ComfyUIStandIn
) -> None:
    hires = {"scale": 2, "denoise": 0.3, "sampler": "dpmpp_2m", "scheduler": "karras"}
    _, image = generated(gaze, hires=hires, seed=11, **SMALL)
    assert image.size == (128, 128)
    first, second = nodes_of(last_graph(comfy), "KSampler")
    assert (second["sampler_name"], second["scheduler"]) == ("dpmpp_2m", "karras")
    assert (first["sampler_name"], first["scheduler"]) != ("dpmpp_2m", "karras")
    assert (
        second["steps"] == first["steps"] == PRESET_STEPS
    )  # hires steps default to the first pass's
    parameters = image.info["parameters"]
    assert "Hires sampler: DPM++ 2M" in parameters and "Hires schedule type: Karras" in parameters


def test_init_image_mask_and_hires_together(gaze: GazeServer, comfy: ComfyUIStandIn) -> None:
    init = upload(gaze, three_bands(64, 64))
    mask = upload(gaze, square_mask())
    hires = {"scale": 2, "denoise": 0.5, "steps": 2, "upscaler": "pixel-bilinear"}
    _, image = generated(gaze, init_image=init, mask=mask, denoise=0.8, hires=hires, seed=12)
    assert image.size == (128, 128)
    graph = last_graph(comfy)
    # the pixel path sets the mask again after encoding the upscaled image
    assert graph["105"] == {
        "class_type": "SetLatentNoiseMask",
        "inputs": {"samples": ["104", 0], "mask": ["14", 0]},
    }
    assert graph["106"]["inputs"]["latent_image"] == ["105", 0]
    assert graph["3"]["inputs"]["denoise"] == 0.8


def test_every_second_pass_error_is_a_400_naming_the_field(
    gaze: GazeServer, comfy: ComfyUIStandIn
) -> None:
    prompts_before = len(comfy.history())
    init = upload(gaze, three_bands(64, 64))
    other_size = upload(gaze, square_mask((64, 72)))
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"init_image": "inputs/missing.png"}, "invalid_init_image", "init_image"),
        ({"mask": init}, "mask_without_init_image", "mask"),
        ({"init_image": init, "mask": other_size}, "invalid_mask", "mask"),
        ({"init_image": init, "denoise": 1.5}, "invalid_denoise", "denoise"),
        ({"init_image": init, "resize": "zoom"}, "invalid_resize", "resize"),
        ({"init_image": init, "mask": init, "mask_blur": -1}, "invalid_mask_blur", "mask_blur"),
        ({"init_image": init, "mask": init, "mask_grow": "x"}, "invalid_mask_grow", "mask_grow"),
        ({"hires": {"scale": 0.5}}, "invalid_hires", "hires.scale"),
        ({"hires": {"denoise": 2}}, "invalid_hires", "hires.denoise"),
        ({"hires": {"steps": 0}}, "invalid_hires", "hires.steps"),
        ({"hires": {"upscaler": "nope"}}, "invalid_hires", "hires.upscaler"),
        ({"hires": {"sampler": "warp_drive"}}, "invalid_hires", "hires.sampler"),
        ({"hires": {"upscaler": "4x-Missing.pth"}}, "model_not_available", "'4x-Missing.pth'"),
    ]
    for body, code, words in cases:
        answer = refusal(gaze.post(f"/api/v1/generate/{PRESET}", json={**body, **SMALL}))
        assert (answer["code"], words in answer["error"]) == (code, True), (body, answer)
    assert len(comfy.history()) == prompts_before  # nothing reached the backend
