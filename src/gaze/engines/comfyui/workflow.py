"""GenerationSpec -> ComfyUI API-format graph (the workflow GAZE sends).

The graph is a pure function of the spec and the names its uploaded images got. Node ids
are fixed by role and follow ComfyUI's default workflow where it has the node, so error
messages and logs read the same way every time::

    "3"   KSampler                 "10"  CLIPSetLastLayer (clip_skip > 1 only)
    "4"   CheckpointLoaderSimple   "11"  VAELoader (spec.vae only)
    "5"   EmptyLatentImage         "12"  LoadImage (init image)
    "6"   CLIPTextEncode positive  "13"  VAEEncode (init image)
    "7"   CLIPTextEncode negative  "14"  LoadImageMask (mask, channel red)
    "8"   VAEDecode                "15"  SetLatentNoiseMask (mask)
    "9"   SaveImage ("gaze")       "20"+ LoraLoader chain, one per LoRA, in spec order
                                   "100"+ the hires second pass (see `second_pass`)

Model and CLIP flow: checkpoint -> LoRA 1 -> ... -> LoRA n; the CLIP then goes through
CLIPSetLastLayer (stop_at_clip_layer = -clip_skip, A1111 numbering) into both encoders.

img2img starts from the uploaded init image (LoadImage -> VAEEncode) instead of an empty
latent, with KSampler's denoise = spec.denoise; inpainting adds the uploaded mask as the
latent's noise mask (LoadImageMask -> SetLatentNoiseMask). The images are prepared by GAZE
(`gaze.engines.image_inputs`) at the job's size, so the graph only loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gaze.engines.comfyui.second_pass import FIRST_HIRES_NODE, add_second_pass
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
INIT_IMAGE_NODE = "12"
INIT_ENCODE_NODE = "13"
MASK_NODE = "14"
NOISE_MASK_NODE = "15"
FIRST_LORA_NODE = 20
MAX_LORAS = FIRST_HIRES_NODE - FIRST_LORA_NODE
MASK_CHANNEL = "red"

FILENAME_PREFIX = "gaze"

Link = list[Any]
Graph = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class UploadedImages:
    """Names under which the server's ``LoadImage`` / ``LoadImageMask`` find the job's images."""

    init_image: str | None = None
    mask: str | None = None


def lora_node_id(index: int) -> str:
    """Node id of the ``index``-th (0-based) LoraLoader of the chain."""
    return str(FIRST_LORA_NODE + index)


def _node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def build_workflow(spec: GenerationSpec, uploads: UploadedImages | None = None) -> Graph:
    """The ComfyUI API-format graph for ``spec`` (keys sorted numerically); ``uploads``
    names the init image and mask on the server when the spec has them."""
    if spec.clip_skip is not None and spec.clip_skip < 1:
        raise ValueError(f"clip_skip must be 1 or more (A1111 numbering), got {spec.clip_skip}")
    if len(spec.loras) > MAX_LORAS:
        raise ValueError(f"at most {MAX_LORAS} LoRAs fit in one workflow, got {len(spec.loras)}")
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
    latent, mask = _start_latent(graph, spec, uploads or UploadedImages(), vae)
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
        latent_image=latent,
        denoise=float(spec.denoise) if spec.init_image is not None else 1.0,
    )
    samples: Link = [SAMPLER_NODE, 0]
    if spec.hires is not None:
        samples = add_second_pass(
            graph,
            spec,
            spec.hires,
            samples=samples,
            model=model,
            conditioning=([POSITIVE_NODE, 0], [NEGATIVE_NODE, 0]),
            vae=vae,
            mask=mask,
        )
    graph[DECODE_NODE] = _node("VAEDecode", samples=samples, vae=vae)
    graph[SAVE_NODE] = _node("SaveImage", filename_prefix=FILENAME_PREFIX, images=[DECODE_NODE, 0])
    return {node_id: graph[node_id] for node_id in sorted(graph, key=int)}


def _start_latent(
    graph: Graph, spec: GenerationSpec, uploads: UploadedImages, vae: Link
) -> tuple[Link, Link | None]:
    """What the first KSampler starts from, and the inpainting mask's link (None without)."""
    if spec.init_image is None:
        if spec.mask is not None:
            raise ValueError("a mask needs an init image to inpaint")
        graph[LATENT_NODE] = _node(
            "EmptyLatentImage", width=int(spec.width), height=int(spec.height), batch_size=1
        )
        return [LATENT_NODE, 0], None
    if uploads.init_image is None:
        raise ValueError("the init image must be uploaded before the workflow is built")
    graph[INIT_IMAGE_NODE] = _node("LoadImage", image=uploads.init_image)
    graph[INIT_ENCODE_NODE] = _node("VAEEncode", pixels=[INIT_IMAGE_NODE, 0], vae=vae)
    latent: Link = [INIT_ENCODE_NODE, 0]
    if spec.mask is None:
        return latent, None
    if uploads.mask is None:
        raise ValueError("the mask must be uploaded before the workflow is built")
    graph[MASK_NODE] = _node("LoadImageMask", image=uploads.mask, channel=MASK_CHANNEL)
    graph[NOISE_MASK_NODE] = _node("SetLatentNoiseMask", samples=latent, mask=[MASK_NODE, 0])
    return [NOISE_MASK_NODE, 0], [MASK_NODE, 0]


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
