"""The hires second pass as ComfyUI core nodes, sized exactly as the embedded engine sizes it.

The first pass's latent is brought to the hires size, then sampled again with the same seed
(node ids "100" to "106", in the order the data flows)::

    latent upscalers   LatentUpscaleBy (upscale_method: nearest-exact, bilinear, bicubic,
                       area, bislerp)
    pixel upscalers    VAEDecode -> ImageScale (lanczos, bicubic, ...) -> VAEEncode
    upscale models     VAEDecode -> UpscaleModelLoader + ImageUpscaleWithModel
                       -> ImageScale (lanczos) -> VAEEncode

then KSampler (hires steps, denoise, sampler and scheduler). The hires size is
``round(width * scale / 8) * 8`` by ``round(height * scale / 8) * 8``. ``LatentUpscaleBy``
computes ``round(width / 8 * scale)`` latent pixels, the same number whenever the first pass's
size is a multiple of 8 (dividing by 8 is exact in floating point); other sizes get
``LatentUpscale`` with the size spelled out. Pixel paths always spell it out (``ImageScaleBy``
rounds ``width * scale`` to whole pixels, not to multiples of 8).

An inpainting job keeps its mask in the second pass: ComfyUI carries a latent's noise mask
through KSampler and LatentUpscaleBy, and the pixel paths set it again after VAEEncode, so
every upscaler repaints the same region.
"""

from __future__ import annotations

from typing import Any

from gaze.generation_spec import (
    LATENT_UPSCALERS,
    GenerationSpec,
    HiresSpec,
    is_upscale_model,
)

FIRST_DECODE_NODE = "100"
UPSCALE_MODEL_LOADER_NODE = "101"
MODEL_UPSCALE_NODE = "102"
UPSCALE_NODE = "103"
"""LatentUpscaleBy, LatentUpscale or ImageScale."""
HIRES_ENCODE_NODE = "104"
HIRES_MASK_NODE = "105"
HIRES_SAMPLER_NODE = "106"
FIRST_HIRES_NODE = int(FIRST_DECODE_NODE)

LATENT_SCALE = 8
MODEL_RESIZE_METHOD = "lanczos"
"""How an upscale model's output is brought to the hires size."""

UPSCALE_METHODS: dict[str, str] = {
    "latent": "nearest-exact",
    "latent-bilinear": "bilinear",
    "latent-bicubic": "bicubic",
    "latent-area": "area",
    "latent-bislerp": "bislerp",
    "pixel-lanczos": "lanczos",
    "pixel-bicubic": "bicubic",
    "pixel-bilinear": "bilinear",
    "pixel-area": "area",
    "pixel-nearest-exact": "nearest-exact",
}
"""GAZE's upscaler names -> ComfyUI's ``upscale_method`` of LatentUpscale* / ImageScale*."""

Link = list[Any]
Graph = dict[str, dict[str, Any]]


def _node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def hires_size(spec: GenerationSpec, hires: HiresSpec) -> tuple[int, int]:
    """The second pass's width and height: the first pass's, scaled, to a multiple of 8."""
    return (
        round(spec.width * hires.scale / LATENT_SCALE) * LATENT_SCALE,
        round(spec.height * hires.scale / LATENT_SCALE) * LATENT_SCALE,
    )


def upscale_method(upscaler: str) -> str:
    """ComfyUI's ``upscale_method`` for an upscaler (lanczos after an upscale model)."""
    return UPSCALE_METHODS.get(upscaler, MODEL_RESIZE_METHOD)


def add_second_pass(
    graph: Graph,
    spec: GenerationSpec,
    hires: HiresSpec,
    *,
    samples: Link,
    model: Link,
    conditioning: tuple[Link, Link],
    vae: Link,
    mask: Link | None,
) -> Link:
    """Add the second pass after the first KSampler's ``samples``; its KSampler's output."""
    width, height = hires_size(spec, hires)
    if hires.upscaler in LATENT_UPSCALERS:
        latent = _latent_upscale(graph, spec, hires, samples, width, height)
    else:
        graph[FIRST_DECODE_NODE] = _node("VAEDecode", samples=samples, vae=vae)
        pixels: Link = [FIRST_DECODE_NODE, 0]
        if is_upscale_model(hires.upscaler):
            graph[UPSCALE_MODEL_LOADER_NODE] = _node(
                "UpscaleModelLoader", model_name=hires.upscaler
            )
            graph[MODEL_UPSCALE_NODE] = _node(
                "ImageUpscaleWithModel",
                upscale_model=[UPSCALE_MODEL_LOADER_NODE, 0],
                image=pixels,
            )
            pixels = [MODEL_UPSCALE_NODE, 0]
        graph[UPSCALE_NODE] = _node(
            "ImageScale",
            image=pixels,
            upscale_method=upscale_method(hires.upscaler),
            width=width,
            height=height,
            crop="disabled",
        )
        graph[HIRES_ENCODE_NODE] = _node("VAEEncode", pixels=[UPSCALE_NODE, 0], vae=vae)
        latent = [HIRES_ENCODE_NODE, 0]
        if mask is not None:
            graph[HIRES_MASK_NODE] = _node("SetLatentNoiseMask", samples=latent, mask=mask)
            latent = [HIRES_MASK_NODE, 0]
    graph[HIRES_SAMPLER_NODE] = _node(
        "KSampler",
        model=model,
        seed=int(spec.seed),
        steps=int(hires.steps if hires.steps is not None else spec.steps),
        cfg=float(spec.cfg),
        sampler_name=hires.sampler or spec.sampler,
        scheduler=hires.scheduler or spec.scheduler,
        positive=conditioning[0],
        negative=conditioning[1],
        latent_image=latent,
        denoise=float(hires.denoise),
    )
    return [HIRES_SAMPLER_NODE, 0]


def _latent_upscale(
    graph: Graph, spec: GenerationSpec, hires: HiresSpec, samples: Link, width: int, height: int
) -> Link:
    method = upscale_method(hires.upscaler)
    if spec.width % LATENT_SCALE == 0 and spec.height % LATENT_SCALE == 0:
        graph[UPSCALE_NODE] = _node(
            "LatentUpscaleBy", samples=samples, upscale_method=method, scale_by=float(hires.scale)
        )
    else:
        graph[UPSCALE_NODE] = _node(
            "LatentUpscale",
            samples=samples,
            upscale_method=method,
            width=width,
            height=height,
            crop="disabled",
        )
    return [UPSCALE_NODE, 0]
