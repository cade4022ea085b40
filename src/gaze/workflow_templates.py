"""Custom workflow templates as documents: what a valid one looks like and what it loads.

A template is a workflow in ComfyUI's API format ("Export (API)"): an object mapping node ids
to ``{"class_type": ..., "inputs": {...}}``, in which some input values are placeholders that
a backend fills from the job's GenerationSpec when it runs the job:

============================  ==========================================================
placeholder                   filled with
============================  ==========================================================
``{{prompt}}``                spec.positive
``{{negative}}``              spec.negative
``{{checkpoint}}``            spec.checkpoint
``{{sampler}}``               spec.sampler
``{{scheduler}}``             spec.scheduler
``{{seed}}``                  spec.seed
``{{width}}``                 spec.width
``{{height}}``                spec.height
``{{steps}}``                 spec.steps
``{{cfg}}``                   spec.cfg
``{{denoise}}``               spec.denoise (1.0 without an init image)
``{{init_image}}``            the init image's name on the server (a LoadImage ``image``)
``{{mask}}``                  the mask's name on the server (a LoadImageMask ``image``)
``{{hires_scale}}``           spec.hires.scale
``{{hires_denoise}}``         spec.hires.denoise
``{{hires_steps}}``           spec.hires.steps, else spec.steps
``{{hires_width}}``           the hires width, ``round(width * scale / 8) * 8``
``{{hires_height}}``          the hires height, likewise
``{{hires_upscaler}}``        spec.hires.upscaler (an upscale model file, or GAZE's name)
``{{hires_upscale_method}}``  ComfyUI's upscale_method for it (nearest-exact, bilinear,
                              bicubic, area, bislerp, lanczos; lanczos after a model)
``{{hires_sampler}}``         spec.hires.sampler, else spec.sampler
``{{hires_scheduler}}``       spec.hires.scheduler, else spec.scheduler
============================  ==========================================================

``{{prompt}}`` and ``{{seed}}`` are required; a template without them would ignore the job.
The image and hires placeholders go both ways: a job with an init image, a mask or a hires
pass needs a template that uses ``{{init_image}}``, ``{{mask}}`` or a ``{{hires_...}}``
placeholder, and a template using one needs a job that has it (`job_template_problems`
says what is missing; the backend refuses such a job when it fills the template). GAZE
prepares the init image and mask at the job's size and uploads them to the server before
queueing, so a template only loads them.
The marker ``"{{loras}}"`` stands for the spec's LoRAs: it must be the whole ``lora_name`` of
one ``LoraLoader`` node whose ``model`` and ``clip`` inputs are links. A template needs an
output node (SaveImage or PreviewImage).

Model files a template names itself (a literal ``ckpt_name``, ``lora_name`` or ``vae_name``,
e.g. an upscaler pass's second checkpoint) are loaded besides the spec's, see
`template_models`. A job carries its template in the spec (``spec.workflow_template``);
`template_of` reads it.

These are the rules of the document alone; filling it belongs to the backend that runs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gaze.generation_spec import GenerationSpec

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

TEXT_PLACEHOLDERS = (
    "prompt",
    "negative",
    "checkpoint",
    "sampler",
    "scheduler",
    "init_image",
    "mask",
    "hires_upscaler",
    "hires_upscale_method",
    "hires_sampler",
    "hires_scheduler",
)
INT_PLACEHOLDERS = (
    "seed",
    "width",
    "height",
    "steps",
    "hires_steps",
    "hires_width",
    "hires_height",
)
FLOAT_PLACEHOLDERS = ("cfg", "denoise", "hires_scale", "hires_denoise")
VALUE_PLACEHOLDERS = TEXT_PLACEHOLDERS + INT_PLACEHOLDERS + FLOAT_PLACEHOLDERS
IMAGE_PLACEHOLDERS = ("init_image", "mask")
"""Filled only for a job with that image, and required by one."""
HIRES_PLACEHOLDERS = tuple(name for name in VALUE_PLACEHOLDERS if name.startswith("hires_"))
"""Filled only for a job with a hires pass; a job with one needs at least one of them."""
LORAS_MARKER = "loras"
REQUIRED_PLACEHOLDERS = ("prompt", "seed")
OUTPUT_NODE_TYPES = frozenset({"SaveImage", "PreviewImage"})

Template = dict[str, Any]

MODEL_INPUT_FOLDERS: dict[str, str] = {
    "ckpt_name": "checkpoints",
    "lora_name": "loras",
    "vae_name": "vae",
}
"""Loader inputs whose value is a file of a model folder."""


class TemplateError(ValueError):
    """The template cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid ComfyUI workflow template: " + "; ".join(problems))
        self.problems = problems


def is_link(value: Any) -> bool:
    """Whether an input value links to another node's output (``[node_id, index]``)."""
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
            if is_link(value):
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
            if not is_link(inputs.get(name)):
                problems.append(f"node {node_id} ({{{{loras}}}}): input {name} must be a link")
    return problems


def loras_marker_node(doc: Template) -> str | None:
    """Id of the node carrying the ``{{loras}}`` marker, if any."""
    for node_id, node in doc.items():
        inputs = node.get("inputs") if isinstance(node, dict) else None
        if isinstance(inputs, dict) and _is_loras_marker(inputs.get("lora_name")):
            return node_id
    return None


@dataclass(frozen=True)
class TemplateModels:
    """Which model files a template makes a backend load."""

    uses_checkpoint: bool
    """``{{checkpoint}}`` appears: the spec's checkpoint is loaded."""
    uses_loras: bool
    """The ``{{loras}}`` marker is there: the spec's LoRAs are loaded."""
    fixed: tuple[tuple[str, str], ...]
    """``(folder, file)`` named literally by loader inputs, in node order."""
    uses_hires_upscaler: bool = False
    """``{{hires_upscaler}}`` appears: the hires pass's upscale model file (if it names one)
    is loaded."""


def template_models(doc: Template) -> TemplateModels:
    """The model files ``doc`` loads (``doc`` must be a valid template)."""
    uses_checkpoint = False
    uses_hires_upscaler = False
    fixed: list[tuple[str, str]] = []
    for node in doc.values():
        for name, value in node["inputs"].items():
            if not isinstance(value, str):
                continue
            placeholders = PLACEHOLDER.findall(value)
            if "checkpoint" in placeholders:
                uses_checkpoint = True
            if "hires_upscaler" in placeholders:
                uses_hires_upscaler = True
            if name in MODEL_INPUT_FOLDERS and not placeholders and value:
                fixed.append((MODEL_INPUT_FOLDERS[name], value))
    return TemplateModels(
        uses_checkpoint=uses_checkpoint,
        uses_loras=loras_marker_node(doc) is not None,
        fixed=tuple(dict.fromkeys(fixed)),
        uses_hires_upscaler=uses_hires_upscaler,
    )


def template_placeholders(doc: Template) -> frozenset[str]:
    """Every placeholder name that appears in ``doc``'s input values."""
    return frozenset(
        name
        for node in doc.values()
        for value in node["inputs"].values()
        if isinstance(value, str)
        for name in PLACEHOLDER.findall(value)
    )


def job_template_problems(doc: Template, spec: GenerationSpec) -> list[str]:
    """Why ``doc`` cannot run ``spec``: an init image, mask or hires pass of the job the
    template ignores, or an image or hires placeholder the job has nothing for (``doc`` must
    be a valid template)."""
    used = template_placeholders(doc)
    present = {
        "init_image": spec.init_image is not None,
        "mask": spec.mask is not None,
        "hires": spec.hires is not None,
    }
    problems = [
        f"the job has {what} but the template never uses {{{{{name}}}}}"
        for name, what in (("init_image", "an init image"), ("mask", "a mask"))
        if present[name] and name not in used
    ]
    if present["hires"] and not used & set(HIRES_PLACEHOLDERS):
        problems.append("the job has a hires pass but the template uses no {{hires_...}} value")
    lacking = {"init_image": "no init image", "mask": "no mask"}
    lacking |= {name: "no hires pass" for name in HIRES_PLACEHOLDERS}
    problems += [
        f"the template uses {{{{{name}}}}} but the job has {lacking[name]}"
        for name in sorted(used)
        if name in lacking and not present["hires" if name.startswith("hires_") else name]
    ]
    return problems


def template_of(spec: GenerationSpec) -> Template | None:
    """The custom workflow ``spec`` carries (``spec.workflow_template``), or None."""
    template = spec.workflow_template
    return template if isinstance(template, dict) else None
