"""Other tools' sampler, scheduler and upscaler names in GAZE's (ComfyUI's) terms.

GAZE writes A1111's labels (`gaze.media.png_metadata`) and reads them back here exactly, so a
GAZE image read as A1111 text gives the sampler and scheduler of its spec again.
"""

from __future__ import annotations

from gaze.generation_spec import LATENT_UPSCALERS, PIXEL_UPSCALERS
from gaze.media.png_metadata import (  # the labels GAZE writes, read back here exactly
    _HIRES_UPSCALER_LABELS as HIRES_UPSCALER_LABELS,
)
from gaze.media.png_metadata import (
    _SAMPLER_LABELS as A1111_SAMPLER_LABELS,
)
from gaze.sampling.names import COMFYUI_SAMPLER_ORDER, SCHEDULER_NAMES

_SAMPLERS_BY_LABEL = {label.lower(): name for name, label in A1111_SAMPLER_LABELS.items()}
_SAMPLERS_BY_LABEL.update(
    {
        "dpm++ 2m sde heun": "dpmpp_2m_sde_heun",
        "dpm++ 3m sde": "dpmpp_3m_sde",
        "dpm fast": "dpm_fast",
        "dpm adaptive": "dpm_adaptive",
        "lcm": "lcm",
        "ddpm": "ddpm",
        "ipndm": "ipndm",
        "ipndm_v": "ipndm_v",
    }
)
_SCHEDULERS_BY_LABEL = {
    "karras": "karras",
    "exponential": "exponential",
    "sgm uniform": "sgm_uniform",
    "simple": "simple",
    "normal": "normal",
    "uniform": "normal",
    "ddim": "ddim_uniform",
    "beta": "beta",
    "kl optimal": "kl_optimal",
}
_OLD_SCHEDULER_SUFFIXES = (" karras", " exponential", " sgm uniform")
"""Before A1111 1.9 the scheduler was part of the sampler's name: ``DPM++ 2M Karras``."""

_UPSCALERS_BY_LABEL = {label.lower(): name for name, label in HIRES_UPSCALER_LABELS.items()}
_COMFYUI_LATENT_METHODS = {
    "nearest-exact": "latent",
    "bilinear": "latent-bilinear",
    "bicubic": "latent-bicubic",
    "area": "latent-area",
    "bislerp": "latent-bislerp",
}


def sampler_and_scheduler(label: str) -> tuple[str | None, str | None]:
    """GAZE's sampler for an A1111 sampler label, and the scheduler an old-style label names
    (``DPM++ 2M Karras``); None where the label is unknown."""
    text = label.strip()
    if text in COMFYUI_SAMPLER_ORDER:
        return text, None
    lowered = text.lower()
    if lowered in _SAMPLERS_BY_LABEL:
        return _SAMPLERS_BY_LABEL[lowered], None
    for suffix in _OLD_SCHEDULER_SUFFIXES:
        if lowered.endswith(suffix):
            sampler = _SAMPLERS_BY_LABEL.get(lowered.removesuffix(suffix))
            if sampler is not None:
                return sampler, _SCHEDULERS_BY_LABEL[suffix.strip()]
    return None, None


def scheduler_name(label: str) -> str | None:
    """GAZE's scheduler for an A1111 ``Schedule type`` (or GAZE's own name, capitalised as
    GAZE writes it); None for ``Automatic`` and unknown labels."""
    lowered = label.strip().lower()
    if lowered in SCHEDULER_NAMES:
        return lowered
    return _SCHEDULERS_BY_LABEL.get(lowered)


def comfyui_sampler(name: str) -> str | None:
    """A ComfyUI sampler name GAZE runs (``*_gpu`` variants are the same sampler here)."""
    return name if name in COMFYUI_SAMPLER_ORDER else None


def comfyui_scheduler(name: str) -> str | None:
    return name if name in SCHEDULER_NAMES else None


def hires_upscaler(label: str) -> str:
    """GAZE's upscaler for an A1111 ``Hires upscaler`` label; GAZE's own names stay, and any
    other label (an upscale model's name) is returned as it is."""
    text = label.strip()
    if text in LATENT_UPSCALERS or text in PIXEL_UPSCALERS:
        return text
    return _UPSCALERS_BY_LABEL.get(text.lower(), text)


def comfyui_latent_upscaler(method: str) -> str | None:
    """GAZE's upscaler for a ComfyUI LatentUpscale(By) ``upscale_method``."""
    return _COMFYUI_LATENT_METHODS.get(method)


def comfyui_pixel_upscaler(method: str) -> str | None:
    """GAZE's upscaler for a ComfyUI ImageScale(By) ``upscale_method``."""
    name = f"pixel-{method}"
    return name if name in PIXEL_UPSCALERS else None


def novelai_sampler(name: str) -> str | None:
    """GAZE's sampler for a NovelAI sampler (``k_euler_ancestral``, ``ddim_v3``)."""
    plain = name.removeprefix("k_")
    if plain.startswith("ddim"):
        return "ddim"
    return plain if plain in COMFYUI_SAMPLER_ORDER else None
