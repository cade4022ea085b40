"""The latent a ComfyUI sampler starts from: back along ``latent_image`` to an empty latent
(the image's size), an earlier sampler (this one is then a hires pass, and the upscale nodes
between them say how much and how), or a loaded image (img2img)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gaze.pnginfo.comfyui_nodes import MAX_HOPS, GraphReader, link_of
from gaze.pnginfo.names import comfyui_latent_upscaler, comfyui_pixel_upscaler

EMPTY_LATENTS = ("EmptyLatentImage", "EmptySD3LatentImage", "EmptyHunyuanLatentVideo")
_PASSING_INPUTS = ("samples", "pixels", "image", "latent", "latent_image")


@dataclass
class LatentChain:
    width: int | None = None
    height: int | None = None
    batch_size: int | None = None
    previous_sampler: str | None = None
    starts_from_image: bool = False
    scale: float | None = None
    """How much the latent was upscaled since the previous sampler (a hires pass)."""
    target_size: tuple[int, int] | None = None
    upscaler: str | None = None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _upscale_node(reader: GraphReader, node: dict[str, Any], chain: LatentChain) -> None:
    kind = node.get("class_type")
    method = reader.value(node, "upscale_method")
    if kind in ("LatentUpscale", "LatentUpscaleBy"):
        chain.upscaler = comfyui_latent_upscaler(str(method))
    elif kind in ("ImageScale", "ImageScaleBy"):
        chain.upscaler = comfyui_pixel_upscaler(str(method))
    elif kind == "ImageUpscaleWithModel":
        loader = reader.linked_node(reader.inputs(node).get("upscale_model"))
        model = reader.value(loader, "model_name")
        chain.upscaler = model if isinstance(model, str) else None
    scale_by = reader.value(node, "scale_by")
    if isinstance(scale_by, (int, float)) and not isinstance(scale_by, bool):
        chain.scale = float(scale_by) * (chain.scale or 1.0)
    width, height = _int(reader.value(node, "width")), _int(reader.value(node, "height"))
    if width and height:
        chain.target_size = (width, height)


UPSCALE_NODES = (
    "LatentUpscale",
    "LatentUpscaleBy",
    "ImageScale",
    "ImageScaleBy",
    "ImageUpscaleWithModel",
)


def _first_width(reader: GraphReader, sampler_id: str) -> int | None:
    """The width of the empty latent an earlier sampler's chain starts from."""
    start = reader.inputs(reader.node(sampler_id)).get("latent_image")
    return latent_chain(reader, start, ()).width


def latent_chain(reader: GraphReader, start: Any, samplers: tuple[str, ...]) -> LatentChain:
    """Where the latent of `start` (a sampler's ``latent_image`` input) comes from."""
    chain = LatentChain()
    node_id = link_of(start)
    seen: set[str] = set()
    while node_id is not None and node_id not in seen and len(seen) < MAX_HOPS:
        seen.add(node_id)
        node = reader.node(node_id)
        if node is None:
            break
        kind = str(node.get("class_type"))
        if kind in samplers:
            chain.previous_sampler = node_id
            break
        if kind in EMPTY_LATENTS:
            chain.width = _int(reader.value(node, "width"))
            chain.height = _int(reader.value(node, "height"))
            chain.batch_size = _int(reader.value(node, "batch_size"))
            break
        if kind in ("LoadImage", "LoadImageMask"):
            chain.starts_from_image = True
            break
        if kind in UPSCALE_NODES:
            _upscale_node(reader, node, chain)
        inputs = reader.inputs(node)
        node_id = next(
            (link for name in _PASSING_INPUTS if (link := link_of(inputs.get(name))) is not None),
            None,
        )
    if chain.scale is None and chain.target_size and chain.previous_sampler is not None:
        first_width = _first_width(reader, chain.previous_sampler)
        if first_width:
            chain.scale = chain.target_size[0] / first_width
    return chain
