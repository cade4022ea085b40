"""Custom workflow templates as documents: every rejection reason, the models they load."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gaze.workflow_templates import template_models, template_of, validate_template
from tests.support.template_examples import EXAMPLE_SPEC as SPEC
from tests.support.template_examples import fixed_vae_template, with_template
from tests.support.template_examples import text_to_image_template as template


def test_a_good_template_has_no_problems() -> None:
    assert validate_template(template()) == []


def without(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key != node_id}


def rejection(doc: Any) -> str:
    problems = validate_template(doc)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("doc", [[], "text", 3, None])
def test_rejects_a_document_that_is_not_an_object(doc: Any) -> None:
    assert "JSON object mapping node ids to nodes" in rejection(doc)


def test_rejects_an_empty_template() -> None:
    assert rejection({}) == "the template has no nodes"


def test_rejects_a_workflow_saved_from_the_editor() -> None:
    assert "Export (API)" in rejection({"nodes": [], "links": [], "version": 0.4})


def test_rejects_a_node_that_is_not_an_object() -> None:
    doc = template()
    doc["12"] = ["KSampler"]
    assert rejection(doc) == "node 12: must be an object with class_type and inputs"


def test_rejects_a_node_without_class_type() -> None:
    doc = template()
    del doc["8"]["class_type"]
    assert rejection(doc) == "node 8: has no class_type"


def test_rejects_a_node_without_inputs() -> None:
    doc = template()
    doc["8"]["inputs"] = "samples"
    assert rejection(doc) == "node 8: has no inputs object"


def test_rejects_an_unknown_placeholder() -> None:
    doc = template()
    doc["7"]["inputs"]["text"] = "{{negativ}}, {{negative}}"
    problem = rejection(doc)
    assert problem.startswith("node 7 input text: unknown placeholder {{negativ}}")
    assert "{{negative}}" in problem  # lists what is known


@pytest.mark.parametrize("placeholder", ["prompt", "seed"])
def test_rejects_a_template_missing_a_required_placeholder(placeholder: str) -> None:
    doc = template()
    if placeholder == "prompt":
        doc["6"]["inputs"]["text"] = "a fixed prompt"
    else:
        doc["3"]["inputs"]["seed"] = 5
    assert rejection(doc) == (
        f"the template never uses the required placeholder {{{{{placeholder}}}}}"
    )


def test_rejects_a_template_without_an_output_node() -> None:
    assert "no output node" in rejection(without(template(), "9"))


def test_preview_image_counts_as_output() -> None:
    doc = template()
    doc["9"]["class_type"] = "PreviewImage"
    assert validate_template(doc) == []


def test_rejects_a_link_to_a_missing_node() -> None:
    doc = template()
    doc["8"]["inputs"]["samples"] = ["99", 0]
    assert rejection(doc) == "node 8 input samples links to node 99, which does not exist"


@pytest.mark.parametrize("link", [["3"], [3, 0], ["3", "0"], ["3", -1], ["3", 0, 1]])
def test_rejects_a_malformed_link(link: list[Any]) -> None:
    doc = template()
    doc["8"]["inputs"]["samples"] = link
    assert rejection(doc).startswith("node 8 input samples is not a link [node_id, output_index]")


def test_rejects_the_loras_marker_outside_a_lora_loader_name() -> None:
    doc = template()
    doc["9"]["inputs"]["filename_prefix"] = "{{loras}}"
    assert "must be the whole lora_name of a LoraLoader" in rejection(doc)


def test_rejects_two_loras_markers() -> None:
    doc = template()
    doc["31"] = copy.deepcopy(doc["30"])
    assert "more than one node (30, 31)" in rejection(doc)


def test_rejects_a_loras_marker_whose_model_is_not_a_link() -> None:
    doc = template()
    doc["30"]["inputs"]["model"] = "model"
    assert rejection(doc) == "node 30 ({{loras}}): input model must be a link"


def test_reports_every_problem_at_once() -> None:
    doc = without(template(), "9")
    doc["7"]["inputs"]["text"] = "{{nope}}"
    doc["8"]["inputs"]["samples"] = ["99", 0]
    assert len(validate_template(doc)) == 3


def test_template_models_lists_placeholders_and_files_named_in_the_template() -> None:
    doc = fixed_vae_template("sdxl_vae.safetensors")
    doc["12"] = {
        "class_type": "CheckpointLoaderSimple",
        "inputs": {"ckpt_name": "refiner\\sdxl_refiner.safetensors"},
    }
    used = template_models(doc)
    assert used.uses_checkpoint and used.uses_loras
    assert used.fixed == (
        ("vae", "sdxl_vae.safetensors"),
        ("checkpoints", "refiner\\sdxl_refiner.safetensors"),
    )


def test_template_models_of_a_template_without_checkpoint_or_loras() -> None:
    doc = template()
    doc["4"]["inputs"]["ckpt_name"] = "fixed.safetensors"
    doc["30"]["inputs"]["lora_name"] = "always.safetensors"
    used = template_models(doc)
    assert not used.uses_checkpoint and not used.uses_loras
    assert used.fixed == (("checkpoints", "fixed.safetensors"), ("loras", "always.safetensors"))


def test_a_spec_carries_its_template() -> None:
    assert template_of(SPEC) is None
    doc = template()
    assert template_of(with_template(SPEC, doc)) is doc
