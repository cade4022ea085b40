"""Filling a custom workflow template from a spec: ComfyUI's types and the LoRA chain."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gaze.engines.comfyui.template_filling import fill_template
from gaze.generation_spec import GenerationSpec, LoraSpec
from gaze.workflow_templates import TemplateError
from tests.support.template_examples import EXAMPLE_SPEC as SPEC
from tests.support.template_examples import text_to_image_template as template


def without(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key != node_id}


def test_fill_substitutes_with_comfyui_types() -> None:
    graph = fill_template(template(), SPEC)
    sampler = graph["3"]["inputs"]
    assert sampler["seed"] == 123456789012 and type(sampler["seed"]) is int
    assert sampler["steps"] == 12 and type(sampler["steps"]) is int
    assert sampler["cfg"] == 6.0 and type(sampler["cfg"]) is float
    assert (sampler["sampler_name"], sampler["scheduler"]) == ("euler_ancestral", "karras")
    assert graph["5"]["inputs"] == {"width": 768, "height": 512, "batch_size": 1}
    assert graph["4"]["inputs"]["ckpt_name"] == "sd15/base.safetensors"
    assert graph["6"]["inputs"]["text"] == "masterpiece, a red fox"
    assert graph["7"]["inputs"]["text"] == "blurry"


def test_fill_leaves_the_template_untouched() -> None:
    doc = template()
    before = copy.deepcopy(doc)
    fill_template(doc, GenerationSpec(**{**SPEC.to_dict(), "loras": ()}))
    assert doc == before


def test_fill_without_loras_removes_the_marker_and_rewires() -> None:
    graph = fill_template(template(), SPEC)
    assert "30" not in graph
    assert graph["3"]["inputs"]["model"] == ["4", 0]
    assert graph["6"]["inputs"]["clip"] == ["4", 1]
    assert graph["7"]["inputs"]["clip"] == ["4", 1]


def test_fill_expands_the_marker_into_a_lora_chain() -> None:
    loras = (
        LoraSpec("a.safetensors", 0.7, 0.3),
        LoraSpec("b.safetensors", 1.0, 0.5),
        LoraSpec("c.safetensors", -1.0, 0.0),
    )
    graph = fill_template(template(), GenerationSpec(**{**SPEC.to_dict(), "loras": loras}))
    chain = ["30_lora1", "30_lora2", "30"]
    assert [graph[node]["inputs"]["lora_name"] for node in chain] == [
        "a.safetensors",
        "b.safetensors",
        "c.safetensors",
    ]
    assert graph["30_lora1"]["inputs"]["model"] == ["4", 0]
    assert graph["30_lora2"]["inputs"]["clip"] == ["30_lora1", 1]
    assert graph["30"]["inputs"]["model"] == ["30_lora2", 0]
    assert graph["30_lora1"]["inputs"]["strength_model"] == 0.7
    assert graph["30_lora1"]["inputs"]["strength_clip"] == 0.3
    assert graph["3"]["inputs"]["model"] == ["30", 0]  # consumers keep their links


def test_fill_refuses_an_invalid_template() -> None:
    with pytest.raises(TemplateError) as raised:
        fill_template(without(template(), "9"), SPEC)
    assert raised.value.problems == [
        "the template has no output node: add a SaveImage or PreviewImage node"
    ]
