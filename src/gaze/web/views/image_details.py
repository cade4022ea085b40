"""An image's details as the lightbox and the image page read them."""

from __future__ import annotations

from typing import Any

from gaze.gallery.detail import ImageDetail
from gaze.media.storage import STATIC_URL_PREFIX
from gaze.web.views.moments import machine_time, readable_time


def _parameters(spec: dict[str, Any]) -> dict[str, Any]:
    """The sampling settings worth showing; the prompt weighting only when it is not the
    default."""
    keys = ("steps", "cfg", "sampler", "scheduler", "clip_skip", "vae")
    parameters = {key: spec.get(key) for key in keys if spec.get(key) is not None}
    if spec.get("prompt_weighting") == "a1111":
        parameters["prompt_weighting"] = "A1111"
    return parameters


def image_details(detail: ImageDetail) -> dict[str, Any]:
    spec = detail.spec
    picks = []
    for category, chosen in detail.resolution.items():
        if isinstance(chosen, list):
            for pick in chosen:
                if isinstance(pick, dict) and pick.get("id"):
                    picks.append({"category": category, "id": pick["id"], "name": pick.get("name")})
    card = detail.card
    return {
        "id": card.id,
        "url": f"{STATIC_URL_PREFIX}/{card.relative_path}",
        "relative_path": card.relative_path,
        "file_name": card.relative_path.rsplit("/", 1)[-1],
        "width": card.width,
        "height": card.height,
        "seed": card.seed,
        "is_favourite": card.is_favourite,
        "is_nsfw": card.is_nsfw,
        "created_at": card.created_at.isoformat() if card.created_at else None,
        "created_iso": machine_time(card.created_at),
        "created_label": readable_time(card.created_at),
        "preset": {"id": card.preset_id, "slug": detail.preset_slug, "name": detail.preset_name}
        if card.preset_id
        else None,
        "checkpoint": detail.checkpoint or spec.get("checkpoint"),
        "backend": detail.backend,
        "job_id": detail.job_id,
        "prompt": spec.get("positive", ""),
        "negative": spec.get("negative", ""),
        "loras": [
            {
                "name": lora.get("name"),
                "model_weight": lora.get("model_weight"),
                "clip_weight": lora.get("clip_weight"),
            }
            for lora in spec.get("loras") or []
            if isinstance(lora, dict)
        ],
        "parameters": _parameters(spec),
        "picks": picks,
    }
