"""The upscalers a hires pass or an upscale can name: GAZE's latent and pixel methods, then the
upscale model files the backends list."""

from __future__ import annotations

from collections.abc import Iterable

from gaze.generation_spec import LATENT_UPSCALERS, PIXEL_UPSCALERS
from gaze.library.checkpoint_catalogue import BackendModels

METHOD_LABELS = {
    "latent": "Latent (nearest exact)",
    "latent-bilinear": "Latent, bilinear",
    "latent-bicubic": "Latent, bicubic",
    "latent-area": "Latent, area",
    "latent-bislerp": "Latent, bislerp",
    "pixel-lanczos": "Pixels, Lanczos",
    "pixel-bicubic": "Pixels, bicubic",
    "pixel-bilinear": "Pixels, bilinear",
    "pixel-area": "Pixels, area",
    "pixel-nearest-exact": "Pixels, nearest exact",
}


def upscaler_choices(backends: Iterable[BackendModels]) -> dict[str, list[dict[str, str]]]:
    """Option groups for an upscaler select: ``{"Latent": [...], "Pixels": [...], "Upscale
    models": [...]}``, each option ``{"value", "label"}``; models sorted by name."""
    models = sorted(
        frozenset().union(*(backend.lists.upscale_models for backend in backends)),
        key=str.lower,
    )
    return {
        "Latent": [_method(name) for name in LATENT_UPSCALERS],
        "Pixels": [_method(name) for name in PIXEL_UPSCALERS],
        "Upscale models": [{"value": name, "label": name} for name in models],
    }


def _method(name: str) -> dict[str, str]:
    return {"value": name, "label": METHOD_LABELS.get(name, name)}
