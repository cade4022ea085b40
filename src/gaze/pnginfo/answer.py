"""PNG info's answer, as the API and the UI give it: an image's parameters and the recipe that
reproduces them with the installed models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gaze.engines.model_lists import ModelLists
from gaze.pnginfo.read import read_generation_info
from gaze.pnginfo.recipe import InstalledModels, recipe_of


def installed_models(lists: Iterable[ModelLists]) -> InstalledModels:
    """The models of every backend together (each backend's `ModelLists`)."""
    every = list(lists)
    return InstalledModels(
        checkpoints=frozenset().union(*(each.checkpoints for each in every)),
        loras=frozenset().union(*(each.loras for each in every)),
        upscale_models=frozenset().union(*(each.upscale_models for each in every)),
    )


def pnginfo_answer(data: bytes, installed: InstalledModels) -> dict[str, Any]:
    """``source``, ``parameters``, ``recipe``, ``generate_body``, the installed ``checkpoint``
    and ``loras`` matched, ``warnings`` and ``raw`` of an image file (UploadRejected or
    NoGenerationMetadata when there is nothing to answer)."""
    info = read_generation_info(data)
    reproducing = recipe_of(info, installed)
    return {
        "source": info.source,
        "parameters": info.parameters(),
        "recipe": reproducing.recipe,
        "generate_body": reproducing.generate_body,
        "checkpoint": reproducing.checkpoint,
        "loras": reproducing.loras,
        "warnings": info.warnings + reproducing.warnings,
        "raw": info.raw,
    }
