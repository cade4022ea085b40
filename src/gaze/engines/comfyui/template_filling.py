"""A custom workflow template (see `gaze.workflow_templates`) filled into a graph to queue.

An input whose whole value is a placeholder takes ComfyUI's type for it: ``{{seed}}``,
``{{width}}``, ``{{height}}``, ``{{steps}}`` and the hires steps and size become integers,
``{{cfg}}``, ``{{denoise}}`` and the hires scale and denoise floats, the others strings. A
placeholder inside longer text (``"masterpiece, {{prompt}}"``) is replaced by its text. Only
direct input values are filled, not values nested inside them.

``{{init_image}}`` and ``{{mask}}`` are the names the job's uploaded images got on the server;
the image and hires placeholders are refused when the job lacks what they stand for, and a
job's init image, mask or hires pass is refused by a template that does not use it.

The ``{{loras}}`` marker node becomes a chain of one LoraLoader per spec LoRA (with that
LoRA's ``strength_model`` and ``strength_clip``; the marker node's own strengths are
ignored). Downstream nodes keep linking to the marker node (``[id, 0]`` for the model,
``[id, 1]`` for the CLIP): the last LoraLoader of the chain keeps its id, the others get
ids ``<id>_lora1``, ``<id>_lora2``... With no LoRAs the node is removed and its consumers
are linked straight to the marker node's model and clip sources.

With a template, the template decides VAE and CLIP skip: spec.vae and spec.clip_skip are
not applied. Images are taken from the template's SaveImage or PreviewImage nodes.
"""

from __future__ import annotations

import copy
from typing import Any

from gaze.engines.comfyui.second_pass import hires_size, upscale_method
from gaze.engines.comfyui.workflow import UploadedImages
from gaze.generation_spec import GenerationSpec
from gaze.workflow_templates import (
    IMAGE_PLACEHOLDERS,
    PLACEHOLDER,
    Template,
    TemplateError,
    is_link,
    job_template_problems,
    loras_marker_node,
    template_placeholders,
    validate_template,
)

Values = dict[str, str | int | float]


def _placeholder_values(spec: GenerationSpec, uploads: UploadedImages) -> Values:
    values: Values = {
        "prompt": spec.positive,
        "negative": spec.negative,
        "checkpoint": spec.checkpoint,
        "sampler": spec.sampler,
        "scheduler": spec.scheduler,
        "seed": int(spec.seed),
        "width": int(spec.width),
        "height": int(spec.height),
        "steps": int(spec.steps),
        "cfg": float(spec.cfg),
        "denoise": float(spec.denoise) if spec.init_image is not None else 1.0,
    }
    if uploads.init_image is not None:
        values["init_image"] = uploads.init_image
    if uploads.mask is not None:
        values["mask"] = uploads.mask
    hires = spec.hires
    if hires is not None:
        width, height = hires_size(spec, hires)
        values |= {
            "hires_scale": float(hires.scale),
            "hires_denoise": float(hires.denoise),
            "hires_steps": int(hires.steps if hires.steps is not None else spec.steps),
            "hires_width": width,
            "hires_height": height,
            "hires_upscaler": hires.upscaler,
            "hires_upscale_method": upscale_method(hires.upscaler),
            "hires_sampler": hires.sampler or spec.sampler,
            "hires_scheduler": hires.scheduler or spec.scheduler,
        }
    return values


def _substitute(value: str, values: Values) -> Any:
    whole = PLACEHOLDER.fullmatch(value.strip())
    if whole and whole.group(1) in values:
        return values[whole.group(1)]
    return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), value)


def _expand_loras(graph: Template, marker_id: str, spec: GenerationSpec) -> None:
    marker = graph[marker_id]
    model_source = marker["inputs"]["model"]
    clip_source = marker["inputs"]["clip"]
    if not spec.loras:
        del graph[marker_id]
        replacements = {0: model_source, 1: clip_source}
        for node in graph.values():
            for name, value in node["inputs"].items():
                if is_link(value) and value[0] == marker_id and value[1] in replacements:
                    node["inputs"][name] = list(replacements[value[1]])
        return

    count = len(spec.loras)
    ids = [f"{marker_id}_lora{index + 1}" for index in range(count - 1)] + [marker_id]
    clashes = [node_id for node_id in ids[:-1] if node_id in graph]
    if clashes:
        raise TemplateError([f"node ids {clashes} are reserved for the {{{{loras}}}} chain"])
    model, clip = list(model_source), list(clip_source)
    for node_id, lora in zip(ids, spec.loras, strict=True):
        graph[node_id] = {
            "class_type": "LoraLoader",
            "inputs": {
                "model": model,
                "clip": clip,
                "lora_name": lora.name,
                "strength_model": float(lora.model_weight),
                "strength_clip": float(lora.clip_weight),
            },
        }
        model, clip = [node_id, 0], [node_id, 1]


def fill_template(
    doc: Template, spec: GenerationSpec, uploads: UploadedImages | None = None
) -> Template:
    """A ready-to-queue graph: ``doc`` with placeholders filled from ``spec`` and from the
    names its uploaded images got (``uploads``)."""
    problems = validate_template(doc)
    if problems:
        raise TemplateError(problems)
    problems = job_template_problems(doc, spec)
    if problems:
        raise TemplateError(problems)
    values = _placeholder_values(spec, uploads or UploadedImages())
    unfilled = sorted(name for name in template_placeholders(doc) & set(IMAGE_PLACEHOLDERS))
    if any(name not in values for name in unfilled):
        raise TemplateError([f"the job's {' and '.join(unfilled)} must be uploaded first"])
    graph: Template = copy.deepcopy(doc)
    marker_id = loras_marker_node(graph)
    for node_id, node in graph.items():
        for name, value in node["inputs"].items():
            if node_id == marker_id and name == "lora_name":
                continue
            if isinstance(value, str):
                node["inputs"][name] = _substitute(value, values)
    if marker_id is not None:
        _expand_loras(graph, marker_id, spec)
    return graph
