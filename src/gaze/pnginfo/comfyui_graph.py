"""Generation parameters from a ComfyUI API-format graph (the ``prompt`` text of its PNGs).

The graph is ``{"<id>": {"class_type": ..., "inputs": {...}}}``; an input linked to another
node's output is ``["<id>", <output index>]``. The walk starts at the output node (SaveImage,
PreviewImage), goes back through ``images`` to the last sampler (KSampler, KSamplerAdvanced,
SamplerCustom, SamplerCustomAdvanced), from there along its latent to the empty latent (the
size) or to an earlier sampler (a hires pass: the first pass is that one), along its
conditioning to the prompt texts and along its model to the checkpoint and LoRAs. Every walk
visits a node at most once and at most `MAX_NODES` nodes, so cycles and huge graphs end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gaze.pnginfo.comfyui_latent import LatentChain, latent_chain
from gaze.pnginfo.comfyui_nodes import Graph, GraphReader, link_of
from gaze.pnginfo.names import comfyui_sampler, comfyui_scheduler
from gaze.pnginfo.result import GenerationInfo, HiresPass, LoraUse

MAX_NODES = 2000
OUTPUT_NODES = ("SaveImage", "PreviewImage", "SaveImageWebsocket", "Image Save")
SAMPLER_NODES = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")
_TEXT_NODES = {"CLIPTextEncode": ("text",), "CLIPTextEncodeSDXL": ("text_g", "text_l")}
_COMBINING_NODES: dict[str, tuple[str, ...]] = {
    "ConditioningCombine": ("conditioning_1", "conditioning_2"),
    "ConditioningConcat": ("conditioning_to", "conditioning_from"),
    "ConditioningAverage": ("conditioning_to", "conditioning_from"),
}
_CHECKPOINT_LOADERS = {
    "CheckpointLoaderSimple": "ckpt_name",
    "CheckpointLoader": "ckpt_name",
    "unCLIPCheckpointLoader": "ckpt_name",
    "UNETLoader": "unet_name",
}
_LORA_LOADERS = ("LoraLoader", "LoraLoaderModelOnly")
_SCHEDULER_NODES = {
    "KarrasScheduler": "karras",
    "ExponentialScheduler": "exponential",
    "SDTurboScheduler": "simple",
    "BetaSamplingScheduler": "beta",
}


class SamplerSettings:
    """One sampler node's settings, its inputs' links resolved where they lead to values."""

    def __init__(self, reader: GraphReader, node_id: str) -> None:
        node = reader.node(node_id) or {}
        kind = node.get("class_type")
        self.node_id = node_id
        self.seed = reader.value(node, "noise_seed" if kind != "KSampler" else "seed")
        self.steps = reader.value(node, "steps")
        self.cfg = reader.value(node, "cfg")
        self.sampler = reader.value(node, "sampler_name")
        self.scheduler = reader.value(node, "scheduler")
        self.denoise = reader.value(node, "denoise")
        inputs = reader.inputs(node)
        self.positive, self.negative = inputs.get("positive"), inputs.get("negative")
        self.model, self.latent = inputs.get("model"), inputs.get("latent_image")
        if kind == "KSamplerAdvanced":
            self._advanced_steps(reader, node)
        if kind == "SamplerCustomAdvanced":
            self._noise_and_guider(reader, inputs)
        if kind in ("SamplerCustom", "SamplerCustomAdvanced"):
            self._custom_sampler(reader, inputs)

    def _advanced_steps(self, reader: GraphReader, node: dict[str, Any]) -> None:
        start = reader.value(node, "start_at_step")
        if isinstance(start, int) and isinstance(self.steps, int) and 0 < start < self.steps:
            self.denoise = (self.steps - start) / self.steps
            reader.warnings.append(
                f"KSamplerAdvanced starts at step {start} of {self.steps}; read as denoise "
                f"{self.denoise:g}"
            )

    def _noise_and_guider(self, reader: GraphReader, inputs: dict[str, Any]) -> None:
        noise = reader.linked_node(inputs.get("noise"))
        if noise is not None:
            self.seed = reader.value(noise, "noise_seed")
        guider = reader.linked_node(inputs.get("guider"))
        if guider is not None:
            guider_inputs = reader.inputs(guider)
            self.cfg = reader.value(guider, "cfg")
            self.model = guider_inputs.get("model")
            self.positive = guider_inputs.get("positive", guider_inputs.get("conditioning"))
            self.negative = guider_inputs.get("negative")

    def _custom_sampler(self, reader: GraphReader, inputs: dict[str, Any]) -> None:
        chosen = reader.linked_node(inputs.get("sampler"))
        if chosen is not None:
            self.sampler = reader.value(chosen, "sampler_name")
        sigmas = reader.linked_node(inputs.get("sigmas"))
        if sigmas is not None:
            self.steps = reader.value(sigmas, "steps")
            self.denoise = reader.value(sigmas, "denoise")
            kind = sigmas.get("class_type")
            self.scheduler = _SCHEDULER_NODES.get(str(kind)) or reader.value(sigmas, "scheduler")


def _output_node(reader: GraphReader) -> str | None:
    outputs = [
        node_id
        for node_id, node in reader.graph.items()
        if isinstance(node, dict) and node.get("class_type") in OUTPUT_NODES
    ]
    outputs.sort(key=lambda node_id: (OUTPUT_NODES.index(reader.kind(node_id)), node_id))
    if len(outputs) > 1:
        reader.warnings.append(f"the graph has {len(outputs)} output nodes; {outputs[0]} was read")
    return outputs[0] if outputs else None


def _last_sampler(reader: GraphReader, start: str) -> str | None:
    """The sampler nearest the output node, going back along any input."""
    queue, seen = [start], {start}
    while queue:
        node_id = queue.pop(0)
        if reader.kind(node_id) in SAMPLER_NODES:
            return node_id
        for value in reader.inputs(reader.node(node_id)).values():
            link = link_of(value)
            if link is not None and link not in seen and len(seen) < MAX_NODES:
                seen.add(link)
                queue.append(link)
    return None


def _conditioning_links(reader: GraphReader, node: dict[str, Any], role: str) -> list[str]:
    inputs = reader.inputs(node)
    names = _COMBINING_NODES.get(str(node.get("class_type")))
    if names is None:
        names = tuple(name for name in inputs if "conditioning" in name or name == role)
        if names:
            reader.warnings.append(f"{role} prompt passes {node.get('class_type')!s}; followed")
    return [link for name in names if (link := link_of(inputs.get(name))) is not None]


def prompt_text(reader: GraphReader, start: Any, role: str, clips: list[Any]) -> str:
    """The texts of the text encoders a conditioning input leads to, in graph order, joined by
    ``", "`` when combine or concat nodes join several."""
    first = link_of(start)
    stack: list[str] = [first] if first else []
    seen: set[str] = set()
    texts: list[str] = []
    combined = False
    while stack and len(seen) < MAX_NODES:
        node_id = stack.pop()
        node = reader.node(node_id)
        if node_id in seen or node is None:
            continue
        seen.add(node_id)
        kind = str(node.get("class_type"))
        if kind in _TEXT_NODES:
            parts = [reader.value(node, name) for name in _TEXT_NODES[kind]]
            strings = list(dict.fromkeys(part for part in parts if isinstance(part, str)))
            texts.append(", ".join(string for string in strings if string))
            clips.append(reader.inputs(node).get("clip"))
            continue
        combined = combined or kind in _COMBINING_NODES
        stack.extend(reversed(_conditioning_links(reader, node, role)))
    if combined:
        reader.warnings.append(f"the {role} prompt combines {len(texts)} texts; joined by ', '")
    return ", ".join(text for text in texts if text)


def _model_chain(reader: GraphReader, start: Any, info: GenerationInfo) -> None:
    loras: list[LoraUse] = []
    for node_id, node in reader.chain(start, ("model",)):
        kind = str(node.get("class_type"))
        if kind in _LORA_LOADERS:
            strength = reader.value(node, "strength_model")
            clip = reader.value(node, "strength_clip")
            name = reader.value(node, "lora_name")
            if isinstance(name, str):
                loras.append(
                    LoraUse(
                        name,
                        float(strength) if _is_number(strength) else 1.0,
                        float(clip) if _is_number(clip) else None,
                    )
                )
        elif kind in _CHECKPOINT_LOADERS:
            name = reader.value(node, _CHECKPOINT_LOADERS[kind])
            info.checkpoint = name if isinstance(name, str) else None
            if kind == "UNETLoader":
                info.warnings.append(f"the model is a bare UNet ({name}), not a checkpoint")
        elif "model" not in reader.inputs(node):
            info.warnings.append(f"the model comes from {kind} (node {node_id}): not read")
    info.loras = list(reversed(loras))


def _clip_skip(reader: GraphReader, clips: list[Any]) -> int | None:
    for start in clips[:1]:
        for _node_id, node in reader.chain(start, ("clip",)):
            if node.get("class_type") == "CLIPSetLastLayer":
                layer = reader.value(node, "stop_at_clip_layer")
                if isinstance(layer, int) and layer < 0:
                    return -layer
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _apply_sampler(info: GenerationInfo, settings: SamplerSettings) -> None:
    info.seed = settings.seed if isinstance(settings.seed, int) else None
    info.steps = settings.steps if isinstance(settings.steps, int) else None
    info.cfg = float(settings.cfg) if _is_number(settings.cfg) else None
    for name, value, mapped in (
        ("sampler", settings.sampler, comfyui_sampler),
        ("scheduler", settings.scheduler, comfyui_scheduler),
    ):
        if isinstance(value, str):
            setattr(info, name, mapped(value))
            if mapped(value) is None:
                info.warnings.append(f"{name} {value[:60]!r} is not one GAZE has; left out")


def _denoise(settings: SamplerSettings) -> float | None:
    value = settings.denoise
    return float(value) if _is_number(value) and value < 1 else None


def _hires(last: SamplerSettings, first: SamplerSettings, chain: LatentChain) -> HiresPass:
    denoise = _denoise(last)
    return HiresPass(
        upscale=chain.scale,
        steps=last.steps if isinstance(last.steps, int) and last.steps != first.steps else None,
        denoise=1.0 if denoise is None else denoise,
        upscaler=chain.upscaler,
        sampler=comfyui_sampler(str(last.sampler)) if last.sampler != first.sampler else None,
        scheduler=(
            comfyui_scheduler(str(last.scheduler)) if last.scheduler != first.scheduler else None
        ),
    )


def _passes(reader: GraphReader, last_id: str) -> Iterator[tuple[str, LatentChain]]:
    """Each sampler from the last back to the first, with the latent chain that feeds it."""
    node_id: str | None = last_id
    seen: set[str] = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        settings_latent = reader.inputs(reader.node(node_id)).get("latent_image")
        chain = latent_chain(reader, settings_latent, SAMPLER_NODES)
        yield node_id, chain
        node_id = chain.previous_sampler


def parse_comfyui_graph(graph: Graph, info: GenerationInfo) -> None:
    """Fill `info` from an API-format graph (see the module docstring)."""
    if len(graph) > MAX_NODES:
        info.warnings.append(
            f"the ComfyUI graph has {len(graph)} nodes; at most {MAX_NODES} are read"
        )
        return
    reader = GraphReader(graph, info.warnings)
    output = _output_node(reader)
    if output is None:
        info.warnings.append("the graph has no output node (SaveImage, PreviewImage)")
        return
    last_id = _last_sampler(reader, output)
    if last_id is None:
        info.warnings.append(f"no sampler leads to the output node {output}")
        return
    passes = list(_passes(reader, last_id))
    if len(passes) > 2:
        info.warnings.append(f"{len(passes)} sampling passes; the first and the last were read")
    first_id, first_chain = passes[-1]
    first = SamplerSettings(reader, first_id)
    _apply_sampler(info, first)
    info.denoise = _denoise(first)
    if first_chain.starts_from_image:
        info.warnings.append("the first pass starts from an image (img2img), not read")
    info.width, info.height = first_chain.width, first_chain.height
    if first_chain.batch_size not in (None, 1):
        info.other["batch_size"] = str(first_chain.batch_size)
    if len(passes) > 1:
        info.hires = _hires(SamplerSettings(reader, last_id), first, passes[0][1])
    clips: list[Any] = []
    info.positive = prompt_text(reader, first.positive, "positive", clips)
    info.negative = prompt_text(reader, first.negative, "negative", [])
    info.clip_skip = _clip_skip(reader, clips)
    _model_chain(reader, first.model, info)
