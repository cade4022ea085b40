"""Generation parameters embedded in PNGs: A1111's `parameters` text plus a JSON chunk.

The JSON chunk (``gaze``) holds the whole spec, init image and mask paths with their SHA-256
included, so an image can be reproduced from its PNG alone. The `parameters` text uses A1111's
keys: an img2img job writes ``Denoising strength`` (its strength); a hires pass writes A1111's
hires keys (``Denoising strength`` is then the hires pass's, as A1111 writes it, and an
img2img first pass's strength goes to ``Init denoising strength``); a mask writes ``Mask blur``.
"""

from __future__ import annotations

import json
from typing import Any

from PIL import Image, PngImagePlugin

from gaze.generation_spec import GenerationSpec

PARAMETERS_KEY = "parameters"
GAZE_JSON_KEY = "gaze"

_SAMPLER_LABELS = {
    "euler": "Euler",
    "euler_ancestral": "Euler a",
    "heun": "Heun",
    "dpm_2": "DPM2",
    "dpm_2_ancestral": "DPM2 a",
    "lms": "LMS",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_sde": "DPM++ 2M SDE",
    "dpmpp_sde": "DPM++ SDE",
    "dpmpp_2s_ancestral": "DPM++ 2S a",
    "ddim": "DDIM",
    "uni_pc": "UniPC",
    "deis": "DEIS",
}

_HIRES_UPSCALER_LABELS = {
    "latent": "Latent (nearest-exact)",
    "latent-bilinear": "Latent",
    "latent-bicubic": "Latent (bicubic)",
    "pixel-lanczos": "Lanczos",
    "pixel-nearest-exact": "Nearest",
}
"""GAZE's upscalers A1111 has under another name; the others keep GAZE's name."""


def hires_upscaler_label(upscaler: str) -> str:
    """A1111's name for a hires upscaler; an upscale model file is named by its stem."""
    if upscaler in _HIRES_UPSCALER_LABELS:
        return _HIRES_UPSCALER_LABELS[upscaler]
    stem = upscaler.rsplit("/", 1)[-1]
    for suffix in (".safetensors", ".pth"):
        stem = stem.removesuffix(suffix)
    return stem


def _second_pass_settings(spec: GenerationSpec) -> list[str]:
    settings = []
    hires = spec.hires
    if hires is not None:
        settings.append(f"Denoising strength: {hires.denoise:g}")
        if spec.init_image is not None:
            settings.append(f"Init denoising strength: {spec.denoise:g}")
        settings.append(f"Hires upscale: {hires.scale:g}")
        if hires.steps is not None:
            settings.append(f"Hires steps: {hires.steps}")
        settings.append(f"Hires upscaler: {hires_upscaler_label(hires.upscaler)}")
        if hires.sampler is not None and hires.sampler != spec.sampler:
            settings.append(f"Hires sampler: {_SAMPLER_LABELS.get(hires.sampler, hires.sampler)}")
        if hires.scheduler is not None and hires.scheduler != spec.scheduler:
            settings.append(f"Hires schedule type: {hires.scheduler.capitalize()}")
    elif spec.init_image is not None:
        settings.append(f"Denoising strength: {spec.denoise:g}")
    if spec.mask is not None:
        settings.append(f"Mask blur: {spec.mask_blur}")
    return settings


def a1111_parameters(spec: GenerationSpec) -> str:
    """The `parameters` text A1111, Forge and most image browsers read back."""
    positive = spec.positive
    for lora in spec.loras:
        stem = lora.name.rsplit("/", 1)[-1].removesuffix(".safetensors")
        positive += f" <lora:{stem}:{lora.model_weight:g}>"
    sampler = _SAMPLER_LABELS.get(spec.sampler, spec.sampler)
    settings = [
        f"Steps: {spec.steps}",
        f"Sampler: {sampler}",
        f"Schedule type: {spec.scheduler.capitalize()}",
        f"CFG scale: {spec.cfg:g}",
        f"Seed: {spec.seed}",
        f"Size: {spec.width}x{spec.height}",
        f"Model: {spec.checkpoint.rsplit('/', 1)[-1].removesuffix('.safetensors')}",
    ]
    if spec.clip_skip and spec.clip_skip > 1:
        settings.append(f"Clip skip: {spec.clip_skip}")
    if spec.vae:
        settings.append(f"VAE: {spec.vae}")
    if spec.prompt_weighting == "a1111":
        settings.append("Prompt weighting: a1111")
    settings += _second_pass_settings(spec)
    return f"{positive}\nNegative prompt: {spec.negative}\n{', '.join(settings)}"


def png_info(spec: GenerationSpec, extra: dict[str, Any]) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PARAMETERS_KEY, a1111_parameters(spec))
    info.add_itxt(GAZE_JSON_KEY, json.dumps({"spec": spec.to_dict(), **extra}, sort_keys=True))
    return info


def read_gaze_metadata(image: Image.Image) -> dict[str, Any]:
    """The JSON chunk GAZE wrote into a PNG (empty when there is none)."""
    text = image.info.get(GAZE_JSON_KEY)
    return json.loads(text) if isinstance(text, str) else {}
