"""build_workflow: golden graphs, determinism, and acceptance by ComfyUI-style validation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from gaze.engines.comfyui.workflow import build_workflow
from gaze.generation_spec import GenerationSpec, LoraSpec
from tests.comfyui_standin import ComfyUIStandIn
from tests.engines.comfyui.golden_specs import GOLDEN_SPECS

GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", sorted(GOLDEN_SPECS))
def test_workflow_matches_the_committed_golden_file(name: str) -> None:
    expected_text = (GOLDEN_DIR / f"{name}.json").read_text()
    graph = build_workflow(GOLDEN_SPECS[name])
    assert graph == json.loads(expected_text)
    # Same keys in the same order, so the JSON sent over the wire is byte-stable too.
    assert json.dumps(graph, indent=2) + "\n" == expected_text


def test_workflow_is_a_pure_function_of_the_spec() -> None:
    spec = GOLDEN_SPECS["full"]
    first = json.dumps(build_workflow(spec))
    copy = GenerationSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert json.dumps(build_workflow(copy)) == first
    graph = build_workflow(spec)
    graph["3"]["inputs"]["seed"] = 1  # mutating a result does not leak into the next one
    assert json.dumps(build_workflow(spec)) == first


def test_numbers_have_comfyui_types() -> None:
    spec = GenerationSpec("p", "n", "c.safetensors", cfg=7, steps=20, width=640, height=448)
    sampler = build_workflow(spec)["3"]["inputs"]
    assert isinstance(sampler["cfg"], float) and sampler["cfg"] == 7.0
    assert isinstance(sampler["steps"], int) and isinstance(sampler["seed"], int)
    assert sampler["denoise"] == 1.0
    assert build_workflow(spec)["5"]["inputs"] == {"width": 640, "height": 448, "batch_size": 1}


@pytest.mark.parametrize("clip_skip", [None, 1])
def test_no_clip_skip_node_without_clip_skip(clip_skip: int | None) -> None:
    graph = build_workflow(GenerationSpec("p", "n", "c.safetensors", clip_skip=clip_skip))
    assert "CLIPSetLastLayer" not in {node["class_type"] for node in graph.values()}
    assert graph["6"]["inputs"]["clip"] == ["4", 1]


def test_clip_skip_uses_a1111_numbering() -> None:
    graph = build_workflow(GenerationSpec("p", "n", "c.safetensors", clip_skip=3))
    assert graph["10"] == {
        "class_type": "CLIPSetLastLayer",
        "inputs": {"clip": ["4", 1], "stop_at_clip_layer": -3},
    }
    assert graph["6"]["inputs"]["clip"] == graph["7"]["inputs"]["clip"] == ["10", 0]


def test_clip_skip_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="clip_skip"):
        build_workflow(GenerationSpec("p", "n", "c.safetensors", clip_skip=0))


def test_vae_comes_from_the_checkpoint_unless_one_is_named() -> None:
    without = build_workflow(GenerationSpec("p", "n", "c.safetensors"))
    assert without["8"]["inputs"]["vae"] == ["4", 2]
    with_vae = build_workflow(GenerationSpec("p", "n", "c.safetensors", vae="v.safetensors"))
    assert with_vae["11"] == {"class_type": "VAELoader", "inputs": {"vae_name": "v.safetensors"}}
    assert with_vae["8"]["inputs"]["vae"] == ["11", 0]


def test_lora_chain_feeds_sampler_and_encoders_in_spec_order() -> None:
    loras = tuple(LoraSpec(f"l{i}.safetensors", i / 10, 1 - i / 10) for i in range(3))
    graph = build_workflow(GenerationSpec("p", "n", "c.safetensors", loras=loras))
    assert [graph[str(20 + i)]["inputs"]["lora_name"] for i in range(3)] == [
        lora.name for lora in loras
    ]
    assert graph["20"]["inputs"]["model"] == ["4", 0]
    assert graph["22"]["inputs"]["clip"] == ["21", 1]
    assert graph["22"]["inputs"]["strength_model"] == 0.2
    assert graph["22"]["inputs"]["strength_clip"] == 0.8
    assert graph["3"]["inputs"]["model"] == ["22", 0]
    assert graph["6"]["inputs"]["clip"] == ["22", 1]


def test_every_golden_workflow_passes_comfyui_validation(standin: ComfyUIStandIn) -> None:
    """The graphs are accepted by ComfyUI-style validation (node types, inputs, ranges)."""
    for name, spec in GOLDEN_SPECS.items():
        response = httpx.post(
            f"{standin.url}/prompt", json={"prompt": build_workflow(spec)}, trust_env=False
        )
        assert response.status_code == 200, (name, response.text)
        assert response.json()["node_errors"] == {}


def test_seed_above_the_maximum_is_rejected_by_validation(standin: ComfyUIStandIn) -> None:
    spec = dataclasses.replace(GOLDEN_SPECS["minimal"], seed=2**64)
    response = httpx.post(
        f"{standin.url}/prompt", json={"prompt": build_workflow(spec)}, trust_env=False
    )
    assert response.status_code == 400
    errors = response.json()["node_errors"]["3"]["errors"]
    assert errors[0]["type"] == "value_bigger_than_max"
