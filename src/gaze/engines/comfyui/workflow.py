"""GenerationSpec -> ComfyUI API-format graph (the text-to-image workflow GAZE sends).

The graph is a pure function of the spec. Node ids are fixed by role and follow ComfyUI's
default workflow where it has the node, so error messages and logs read the same way
every time::

    "3"   KSampler                 "8"   VAEDecode
    "4"   CheckpointLoaderSimple   "9"   SaveImage (filename_prefix "gaze")
    "5"   EmptyLatentImage         "10"  CLIPSetLastLayer (clip_skip > 1 only)
    "6"   CLIPTextEncode positive  "11"  VAELoader (spec.vae only)
    "7"   CLIPTextEncode negative  "20"+ LoraLoader chain, one per LoRA, in spec order

Model and CLIP flow: checkpoint -> LoRA 1 -> ... -> LoRA n; the CLIP then goes through
CLIPSetLastLayer (stop_at_clip_layer = -clip_skip, A1111 numbering) into both encoders.
"""

from __future__ import annotations

from typing import Any

from gaze.generation_spec import GenerationSpec

SAMPLER_NODE = "3"
CHECKPOINT_NODE = "4"
LATENT_NODE = "5"
POSITIVE_NODE = "6"
NEGATIVE_NODE = "7"
DECODE_NODE = "8"
SAVE_NODE = "9"
CLIP_SKIP_NODE = "10"
VAE_NODE = "11"
FIRST_LORA_NODE = 20

FILENAME_PREFIX = "gaze"

Link = list[Any]
Graph = dict[str, dict[str, Any]]


def lora_node_id(index: int) -> str:
    """Node id of the ``index``-th (0-based) LoraLoader of the chain."""
    return str(FIRST_LORA_NODE + index)


def _node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def build_workflow(spec: GenerationSpec) -> Graph:
    """The ComfyUI API-format graph for ``spec`` (keys sorted numerically)."""
    if spec.clip_skip is not None and spec.clip_skip < 1:
        raise ValueError(f"clip_skip must be 1 or more (A1111 numbering), got {spec.clip_skip}")
    graph: Graph = {
        CHECKPOINT_NODE: _node("CheckpointLoaderSimple", ckpt_name=spec.checkpoint),
    }
    model: Link = [CHECKPOINT_NODE, 0]
    clip: Link = [CHECKPOINT_NODE, 1]
    vae: Link = [CHECKPOINT_NODE, 2]

    for index, lora in enumerate(spec.loras):
        node_id = lora_node_id(index)
        graph[node_id] = _node(
            "LoraLoader",
            model=model,
            clip=clip,
            lora_name=lora.name,
            strength_model=float(lora.model_weight),
            strength_clip=float(lora.clip_weight),
        )
        model = [node_id, 0]
        clip = [node_id, 1]

    if spec.clip_skip is not None and spec.clip_skip > 1:
        graph[CLIP_SKIP_NODE] = _node(
            "CLIPSetLastLayer", clip=clip, stop_at_clip_layer=-spec.clip_skip
        )
        clip = [CLIP_SKIP_NODE, 0]

    if spec.vae:
        graph[VAE_NODE] = _node("VAELoader", vae_name=spec.vae)
        vae = [VAE_NODE, 0]

    graph[POSITIVE_NODE] = _node("CLIPTextEncode", text=spec.positive, clip=clip)
    graph[NEGATIVE_NODE] = _node("CLIPTextEncode", text=spec.negative, clip=clip)
    graph[LATENT_NODE] = _node(
        "EmptyLatentImage", width=int(spec.width), height=int(spec.height), batch_size=1
    )
    graph[SAMPLER_NODE] = _node(
        "KSampler",
        model=model,
        seed=int(spec.seed),
        steps=int(spec.steps),
        cfg=float(spec.cfg),
        sampler_name=spec.sampler,
        scheduler=spec.scheduler,
        positive=[POSITIVE_NODE, 0],
        negative=[NEGATIVE_NODE, 0],
        latent_image=[LATENT_NODE, 0],
        denoise=1.0,
    )
    graph[DECODE_NODE] = _node("VAEDecode", samples=[SAMPLER_NODE, 0], vae=vae)
    graph[SAVE_NODE] = _node("SaveImage", filename_prefix=FILENAME_PREFIX, images=[DECODE_NODE, 0])
    return {node_id: graph[node_id] for node_id in sorted(graph, key=int)}


def loaded_checkpoint(graph: dict[str, Any]) -> str | None:
    """The checkpoint an API-format graph loads: the ``ckpt_name`` of its first
    CheckpointLoaderSimple, else of any node with one (None when it names none)."""
    named = [
        node
        for node in graph.values()
        if isinstance(node, dict)
        and isinstance(node.get("inputs"), dict)
        and isinstance(node["inputs"].get("ckpt_name"), str)
    ]
    simple = [node for node in named if node.get("class_type") == "CheckpointLoaderSimple"]
    chosen = simple or named
    return str(chosen[0]["inputs"]["ckpt_name"]) if chosen else None
