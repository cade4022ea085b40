"""Custom ComfyUI workflows for power users: API-format JSON with named placeholders.

A template is a workflow exported from ComfyUI with "Export (API)" -- an object mapping
node ids to ``{"class_type": ..., "inputs": {...}}`` -- in which some input values are
placeholders that GAZE fills from the job's GenerationSpec:

==================  ===================  ==========================================
placeholder         filled with          type when it is the whole value
==================  ===================  ==========================================
``{{prompt}}``      spec.positive        string
``{{negative}}``    spec.negative        string
``{{checkpoint}}``  spec.checkpoint      string
``{{sampler}}``     spec.sampler         string
``{{scheduler}}``   spec.scheduler       string
``{{seed}}``        spec.seed            int
``{{width}}``       spec.width           int
``{{height}}``      spec.height          int
``{{steps}}``       spec.steps           int
``{{cfg}}``         spec.cfg             float
==================  ===================  ==========================================

An input whose whole value is ``"{{seed}}"`` becomes the integer seed; a placeholder
inside longer text (``"masterpiece, {{prompt}}"``) is replaced by its text. Only direct
input values are filled, not values nested inside them. ``{{prompt}}`` and ``{{seed}}``
are required; a template without them would ignore the job.

LoRAs: put the marker ``"{{loras}}"`` as the ``lora_name`` of one ``LoraLoader`` node
whose ``model`` and ``clip`` inputs are links. Downstream nodes link to that node as
usual (``[id, 0]`` for the model, ``[id, 1]`` for the CLIP). When filled, the node becomes
a chain of one LoraLoader per spec LoRA (with that LoRA's ``strength_model`` and
``strength_clip``; the marker node's own strengths are ignored). The last LoraLoader of
the chain keeps the marker node's id, the others get ids ``<id>_lora1``, ``<id>_lora2``...
With no LoRAs the node is removed and its consumers are linked straight to the marker
node's model and clip sources. At most one marker per template.

With a template, the template decides VAE and CLIP skip: spec.vae and spec.clip_skip are
not applied. Images are taken from the template's SaveImage or PreviewImage nodes.

Model files a template names itself (a literal ``ckpt_name``, ``lora_name`` or ``vae_name``,
e.g. an upscaler pass's second checkpoint) are checked against the backend's model lists
like the spec's own, see `template_models`.

A job carries its template in the spec (``spec.workflow_template``); `template_of` reads it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from gaze.generation_spec import GenerationSpec

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

TEXT_PLACEHOLDERS = ("prompt", "negative", "checkpoint", "sampler", "scheduler")
INT_PLACEHOLDERS = ("seed", "width", "height", "steps")
FLOAT_PLACEHOLDERS = ("cfg",)
VALUE_PLACEHOLDERS = TEXT_PLACEHOLDERS + INT_PLACEHOLDERS + FLOAT_PLACEHOLDERS
LORAS_MARKER = "loras"
REQUIRED_PLACEHOLDERS = ("prompt", "seed")
OUTPUT_NODE_TYPES = frozenset({"SaveImage", "PreviewImage"})

Template = dict[str, Any]

MODEL_INPUT_FOLDERS: dict[str, str] = {
    "ckpt_name": "checkpoints",
    "lora_name": "loras",
    "vae_name": "vae",
}
"""Loader inputs whose value is a file of a ComfyUI model folder."""


class TemplateError(ValueError):
    """The template cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid ComfyUI workflow template: " + "; ".join(problems))
        self.problems = problems


def _is_link(value: Any) -> bool:
    return isinstance(value, list)


def _is_loras_marker(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    match = PLACEHOLDER.fullmatch(value.strip())
    return match is not None and match.group(1) == LORAS_MARKER


def _link_problem(value: list[Any], doc: Template) -> str | None:
    well_formed = (
        len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
        and value[1] >= 0
    )
    if not well_formed:
        return f"is not a link [node_id, output_index]: {value!r}"
    if value[0] not in doc:
        return f"links to node {value[0]}, which does not exist"
    return None


def validate_template(doc: Any) -> list[str]:
    """Every reason ``doc`` cannot be used as a template (empty when it can)."""
    if not isinstance(doc, dict):
        return ["the template must be a JSON object mapping node ids to nodes (API format)"]
    if "nodes" in doc and "links" in doc:
        return [
            "this is a workflow saved from the ComfyUI editor, not the API format: "
            "export it with 'Export (API)'"
        ]
    if not doc:
        return ["the template has no nodes"]

    problems: list[str] = []
    used: set[str] = set()
    has_output = False
    markers: list[str] = []
    for node_id, node in doc.items():
        where = f"node {node_id}"
        if not isinstance(node, dict):
            problems.append(f"{where}: must be an object with class_type and inputs")
            continue
        class_type = node.get("class_type")
        if not isinstance(class_type, str) or not class_type:
            problems.append(f"{where}: has no class_type")
        inputs = node.get("inputs")
        if not isinstance(inputs, dict):
            problems.append(f"{where}: has no inputs object")
            continue
        if class_type in OUTPUT_NODE_TYPES:
            has_output = True
        for name, value in inputs.items():
            if _is_link(value):
                problem = _link_problem(value, doc)
                if problem:
                    problems.append(f"{where} input {name} {problem}")
                continue
            if not isinstance(value, str):
                continue
            for placeholder in PLACEHOLDER.findall(value):
                if placeholder == LORAS_MARKER:
                    if _is_loras_marker(value) and (class_type, name) == (
                        "LoraLoader",
                        "lora_name",
                    ):
                        markers.append(node_id)
                    else:
                        problems.append(
                            f"{where} input {name}: {{{{loras}}}} must be the whole lora_name "
                            "of a LoraLoader node"
                        )
                elif placeholder in VALUE_PLACEHOLDERS:
                    used.add(placeholder)
                else:
                    known = ", ".join(f"{{{{{p}}}}}" for p in (*VALUE_PLACEHOLDERS, LORAS_MARKER))
                    problems.append(
                        f"{where} input {name}: unknown placeholder {{{{{placeholder}}}}} "
                        f"(known: {known})"
                    )

    for placeholder in REQUIRED_PLACEHOLDERS:
        if placeholder not in used:
            problems.append(
                f"the template never uses the required placeholder {{{{{placeholder}}}}}"
            )
    if not has_output:
        problems.append("the template has no output node: add a SaveImage or PreviewImage node")
    if len(markers) > 1:
        problems.append(
            f"{{{{loras}}}} marks more than one node ({', '.join(markers)}); use a single chain"
        )
    for node_id in markers:
        inputs = doc[node_id]["inputs"]
        for name in ("model", "clip"):
            if not _is_link(inputs.get(name)):
                problems.append(f"node {node_id} ({{{{loras}}}}): input {name} must be a link")
    return problems


def _placeholder_values(spec: GenerationSpec) -> dict[str, str | int | float]:
    return {
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
    }


def _substitute(value: str, values: dict[str, str | int | float]) -> Any:
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
                if _is_link(value) and value[0] == marker_id and value[1] in replacements:
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


def loras_marker_node(doc: Template) -> str | None:
    """Id of the node carrying the ``{{loras}}`` marker, if any."""
    for node_id, node in doc.items():
        inputs = node.get("inputs") if isinstance(node, dict) else None
        if isinstance(inputs, dict) and _is_loras_marker(inputs.get("lora_name")):
            return node_id
    return None


def fill_template(doc: Template, spec: GenerationSpec) -> Template:
    """A ready-to-queue graph: ``doc`` with placeholders filled from ``spec``."""
    problems = validate_template(doc)
    if problems:
        raise TemplateError(problems)
    graph: Template = copy.deepcopy(doc)
    values = _placeholder_values(spec)
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


@dataclass(frozen=True)
class TemplateModels:
    """Which model files a template makes a backend load."""

    uses_checkpoint: bool
    """``{{checkpoint}}`` appears: the spec's checkpoint is loaded."""
    uses_loras: bool
    """The ``{{loras}}`` marker is there: the spec's LoRAs are loaded."""
    fixed: tuple[tuple[str, str], ...]
    """``(folder, file)`` named literally by loader inputs, in node order."""


def template_models(doc: Template) -> TemplateModels:
    """The model files ``doc`` loads (``doc`` must be a valid template)."""
    uses_checkpoint = False
    fixed: list[tuple[str, str]] = []
    for node in doc.values():
        for name, value in node["inputs"].items():
            if not isinstance(value, str):
                continue
            placeholders = PLACEHOLDER.findall(value)
            if "checkpoint" in placeholders:
                uses_checkpoint = True
            if name in MODEL_INPUT_FOLDERS and not placeholders and value:
                fixed.append((MODEL_INPUT_FOLDERS[name], value))
    return TemplateModels(
        uses_checkpoint=uses_checkpoint,
        uses_loras=loras_marker_node(doc) is not None,
        fixed=tuple(dict.fromkeys(fixed)),
    )


def template_of(spec: GenerationSpec) -> Template | None:
    """The custom workflow ``spec`` carries (``spec.workflow_template``), or None."""
    template = getattr(spec, "workflow_template", None)
    return template if isinstance(template, dict) else None


def template_to_use(
    checkpoint_template: Template | None, preset_template: Template | None
) -> Template | None:
    """The workflow for a generation: the preset's template, else its checkpoint's, else None
    (GAZE's built-in graph). Raises TemplateError when the chosen one cannot be used."""
    chosen = preset_template if preset_template is not None else checkpoint_template
    if chosen is None:
        return None
    problems = validate_template(chosen)
    if problems:
        raise TemplateError(problems)
    return chosen
