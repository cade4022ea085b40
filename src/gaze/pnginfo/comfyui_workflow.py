"""ComfyUI's UI-format ``workflow`` (nodes with ``widgets_values`` and a ``links`` table) turned
into the API format the graph reader follows, for the node types whose widgets it knows; the
best that can be done for an image that carries no ``prompt`` graph."""

from __future__ import annotations

from typing import Any

from gaze.pnginfo.comfyui_nodes import Graph

MAX_WORKFLOW_NODES = 2000
_SEED_CONTROL = None
"""The "control after generate" widget that follows a seed; it is no input."""
WIDGET_INPUTS: dict[str, tuple[str | None, ...]] = {
    "KSampler": ("seed", _SEED_CONTROL, "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise",
        "noise_seed",
        _SEED_CONTROL,
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
    ),
    "SamplerCustom": ("add_noise", "noise_seed", _SEED_CONTROL, "cfg"),
    "RandomNoise": ("noise_seed", _SEED_CONTROL),
    "KSamplerSelect": ("sampler_name",),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "CFGGuider": ("cfg",),
    "CLIPTextEncode": ("text",),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "LatentUpscale": ("upscale_method", "width", "height", "crop"),
    "LatentUpscaleBy": ("upscale_method", "scale_by"),
    "ImageScale": ("upscale_method", "width", "height", "crop"),
    "ImageScaleBy": ("upscale_method", "scale_by"),
    "UpscaleModelLoader": ("model_name",),
    "CLIPSetLastLayer": ("stop_at_clip_layer",),
    "PrimitiveNode": ("value", _SEED_CONTROL),
}


def _link_table(workflow: dict[str, Any]) -> dict[Any, list[Any]]:
    links = workflow.get("links")
    table: dict[Any, list[Any]] = {}
    for link in links if isinstance(links, list) else []:
        if isinstance(link, list) and len(link) >= 3:
            table[link[0]] = [str(link[1]), link[2] if isinstance(link[2], int) else 0]
    return table


def _node_inputs(node: dict[str, Any], links: dict[Any, list[Any]]) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    widgets = node.get("widgets_values")
    names = WIDGET_INPUTS.get(str(node.get("type")), ())
    if isinstance(widgets, list):
        for name, value in zip(names, widgets, strict=False):
            if name is not None:
                inputs[name] = value
    for entry in node.get("inputs") or []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            link = links.get(entry.get("link"))
            if link is not None:
                inputs[entry["name"]] = link
    return inputs


def api_graph_of_workflow(workflow: Any, warnings: list[str]) -> Graph:
    """The API-format graph of a UI workflow (known widgets only; see the module docstring)."""
    nodes = workflow.get("nodes") if isinstance(workflow, dict) else None
    if not isinstance(nodes, list):
        warnings.append("the workflow has no list of nodes")
        return {}
    if len(nodes) > MAX_WORKFLOW_NODES:
        warnings.append(f"the workflow has {len(nodes)} nodes; at most {MAX_WORKFLOW_NODES} read")
        return {}
    links = _link_table(workflow)
    graph: Graph = {}
    for node in nodes:
        if isinstance(node, dict) and isinstance(node.get("id"), (int, str)):
            if node.get("mode") == 2:  # muted: it does not run
                continue
            inputs = _node_inputs(node, links)
            kind = node.get("type")
            if node.get("mode") == 4:  # bypassed: its inputs pass through
                kind = "(bypassed)"
                inputs = {name: value for name, value in inputs.items() if isinstance(value, list)}
            graph[str(node["id"])] = {"class_type": kind, "inputs": inputs}
    return graph
