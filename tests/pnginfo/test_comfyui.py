"""ComfyUI's `prompt` graph (and, without it, its UI `workflow`), read by following the graph
from the output node; hostile graphs end in warnings."""

from __future__ import annotations

import json
from typing import Any

from gaze.pnginfo.read import read_generation_info
from gaze.pnginfo.result import GenerationInfo
from tests.pnginfo import comfyui_graphs as graphs
from tests.pnginfo.images import png_with_texts


def read_graph(graph: dict[str, Any], workflow: dict[str, Any] | None = None) -> GenerationInfo:
    texts = {"prompt": json.dumps(graph)}
    if workflow is not None:
        texts["workflow"] = json.dumps(workflow)
    return read_generation_info(png_with_texts(texts))


def test_the_default_txt2img_graph() -> None:
    info = read_graph(graphs.TXT2IMG, graphs.ui_workflow())
    assert info.source == "comfyui"
    assert info.positive.startswith("beautiful scenery nature glass bottle")
    assert info.negative == "text, watermark"
    assert (info.seed, info.steps, info.cfg) == (156680208700286, 20, 8.0)
    assert (info.sampler, info.scheduler, info.denoise) == ("euler", "normal", None)
    assert (info.width, info.height) == (512, 768)
    assert info.checkpoint == "v1-5-pruned-emaonly.safetensors"
    assert info.loras == [] and info.hires is None
    assert info.warnings == []
    assert info.raw["prompt"] == graphs.TXT2IMG


def test_two_loras_in_the_order_they_apply_and_the_clip_skip() -> None:
    info = read_graph(graphs.with_two_loras())
    assert [(lora.name, lora.strength, lora.clip_strength) for lora in info.loras] == [
        ("styles\\watercolor_v2.safetensors", 0.7, 0.6),
        ("add_detail.safetensors", 1.2, 1.0),
    ]
    assert info.checkpoint == "v1-5-pruned-emaonly.safetensors"
    assert info.clip_skip == 2


def test_a_hires_fix_reports_the_first_pass_and_the_second() -> None:
    info = read_graph(graphs.with_hires_fix())
    assert (info.width, info.height, info.steps, info.sampler) == (512, 768, 20, "euler")
    assert info.hires is not None
    assert info.hires.upscale == 1.5
    assert info.hires.upscaler == "latent-bicubic"
    assert (info.hires.steps, info.hires.denoise) == (12, 0.5)
    assert (info.hires.sampler, info.hires.scheduler) == ("dpmpp_2m", "karras")


def test_a_hires_fix_to_a_fixed_size_gives_its_scale() -> None:
    graph = graphs.with_hires_fix()
    graph["10"] = {
        "class_type": "LatentUpscale",
        "inputs": {
            "upscale_method": "nearest-exact",
            "width": 1024,
            "height": 1536,
            "crop": "disabled",
            "samples": ["3", 0],
        },
    }
    info = read_graph(graph)
    assert info.hires is not None
    assert (info.hires.upscale, info.hires.upscaler) == (2.0, "latent")


def test_a_combined_conditioning_joins_its_texts() -> None:
    info = read_graph(graphs.with_combined_conditioning())
    assert info.positive == (
        "beautiful scenery nature glass bottle landscape, purple galaxy bottle,, red lighthouse"
    )
    assert any("combines 2 texts" in warning for warning in info.warnings)


def test_sampler_custom_advanced_reads_noise_guider_sampler_and_sigmas() -> None:
    info = read_graph(graphs.with_sampler_custom_advanced())
    assert (info.seed, info.cfg, info.steps) == (42, 4.5, 30)
    assert (info.sampler, info.scheduler) == ("dpmpp_2m_sde", "exponential")
    assert info.positive.startswith("beautiful scenery") and info.negative == "text, watermark"


def test_only_the_ui_workflow_is_read_best_effort() -> None:
    data = png_with_texts({"workflow": json.dumps(graphs.ui_workflow())})
    info = read_generation_info(data)
    assert info.source == "comfyui"
    assert (info.positive, info.negative) == ("a castle on a hill", "fog")
    assert (info.seed, info.steps, info.cfg) == (99, 25, 6.5)
    assert (info.sampler, info.scheduler) == ("euler_ancestral", "karras")
    assert (info.width, info.height) == (640, 448)
    assert info.checkpoint == "dreamshaper_8.safetensors"
    assert any("only ComfyUI's UI workflow" in warning for warning in info.warnings)


def test_a_cyclic_graph_ends_with_what_it_could_read() -> None:
    graph = graphs.with_two_loras()
    graph["4"] = {
        "class_type": "LoraLoader",
        "inputs": {"lora_name": "loop.safetensors", "model": ["11", 0], "clip": ["11", 1]},
    }
    graph["6"]["inputs"]["text"] = ["16", 0]
    graph["16"] = {"class_type": "StringConcatenate", "inputs": {"string_a": ["16", 0]}}
    graph["5"]["inputs"]["width"] = ["5", 0]
    info = read_graph(graph)
    assert info.checkpoint is None
    assert {lora.name for lora in info.loras} >= {"add_detail.safetensors", "loop.safetensors"}
    assert info.positive == ""
    assert info.width is None
    assert any("loop" in warning for warning in info.warnings)


def test_missing_nodes_and_no_output_are_warnings() -> None:
    graph = {key: value for key, value in graphs.TXT2IMG.items() if key not in ("4", "6")}
    info = read_graph(graph)
    assert info.steps == 20 and info.checkpoint is None and info.positive == ""
    assert any("lacks" in warning for warning in info.warnings)
    no_output = {key: value for key, value in graphs.TXT2IMG.items() if key != "9"}
    assert any("no output node" in warning for warning in read_graph(no_output).warnings)


def test_a_graph_of_a_thousand_nodes_is_read() -> None:
    graph = graphs.with_two_loras()
    previous = "11"
    for index in range(100, 1100):
        graph[str(index)] = {
            "class_type": "LoraLoader",
            "inputs": {
                "lora_name": f"l{index}.safetensors",
                "strength_model": 0.1,
                "model": [previous, 0],
                "clip": [previous, 1],
            },
        }
        previous = str(index)
    graph["3"]["inputs"]["model"] = [previous, 0]
    info = read_graph(graph)
    assert len(graph) > 1000
    assert len(info.loras) == 1002
    assert info.checkpoint == "v1-5-pruned-emaonly.safetensors"


def test_a_huge_graph_is_refused_with_a_warning() -> None:
    graph = {str(index): {"class_type": "Note", "inputs": {}} for index in range(5000)}
    info = read_graph({**graphs.TXT2IMG, **graph})
    assert info.steps is None
    assert any("at most 2000" in warning for warning in info.warnings)


def test_a_prompt_that_is_not_json_is_a_warning() -> None:
    data = png_with_texts(
        {"prompt": "{not json", "parameters": "cat\nSteps: 3, Sampler: Euler, Seed: 5"}
    )
    info = read_generation_info(data)
    assert info.source == "a1111" and info.steps == 3
    assert any("not JSON" in warning for warning in info.warnings)
