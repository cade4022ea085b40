"""The GAZE recipe that reproduces an image's parameters: what POST /api/v1/generate takes as
``recipe``, with the seed (and, for a GAZE image, its init image and mask) beside it.

The checkpoint and LoRAs the image names are matched against the installed files by path or
file name (case-insensitive, without folder and extension); the matched LoRAs are the recipe's
own ``loras`` (in the image's order, with its strengths), what does not match, and what a
recipe cannot carry, is listed in the warnings. The recipe is checked as `recipe_preset`
checks it: a field it refuses is left out, with the reason as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from gaze.generation_spec import is_upscale_model, seed_problem
from gaze.library.fields import describe_errors
from gaze.library.schema import Lora
from gaze.pnginfo.result import GenerationInfo, LoraUse
from gaze.presets.recipe import recipe_preset
from gaze.presets.schema import MAX_PRESET_LORAS
from gaze.service_errors import Invalid

_MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin")
_PROBLEM_FIELD = re.compile(r"recipe\.(\w+)")
_GAZE_BODY_FIELDS = ("init_image", "mask")
_IMAGE_OPTIONS = ("denoise", "resize", "mask_blur", "mask_grow")


@dataclass(frozen=True)
class InstalledModels:
    """The model files the backends have, by kind (paths relative to their folders)."""

    checkpoints: frozenset[str] = frozenset()
    loras: frozenset[str] = frozenset()
    upscale_models: frozenset[str] = frozenset()


@dataclass
class ReproducingRecipe:
    recipe: dict[str, Any] | None
    generate_body: dict[str, Any] | None
    checkpoint: str | None = None
    """The installed checkpoint the image's matched, or None."""
    loras: list[dict[str, Any]] = field(default_factory=list)
    """Each LoRA of the image: its name, strength and the installed file it matched (or None)."""
    warnings: list[str] = field(default_factory=list)
    recipe_loras: list[dict[str, Any]] = field(default_factory=list)
    """The matched LoRAs as the recipe's own ``loras`` (a non-GAZE image's only)."""


def model_stem(name: str) -> str:
    """A model's name without folders and extension, lowercased: how files are matched."""
    stem = name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in _MODEL_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem.lower()


def installed_match(name: str, installed: Iterable[str]) -> str | None:
    """The installed file `name` is: the same path, else the same stem (first in order)."""
    paths = sorted(installed)
    wanted = name.replace("\\", "/")
    if wanted in paths:
        return wanted
    stem = model_stem(name)
    return next((path for path in paths if model_stem(path) == stem), None)


def _flat_recipe(info: GenerationInfo) -> dict[str, Any]:
    recipe: dict[str, Any] = {"positive": info.positive, "negative": info.negative}
    for name in ("width", "height", "steps", "cfg", "sampler", "scheduler", "clip_skip"):
        value = getattr(info, name)
        if value is not None:
            recipe[name] = value
    weighting = info.other.get("Prompt weighting") or info.other.get("prompt_weighting")
    if weighting in ("a1111", "comfyui"):
        recipe["prompt_weighting"] = weighting
    if info.hires is not None:
        hires = {
            "scale": info.hires.upscale,
            "denoise": info.hires.denoise,
            "steps": info.hires.steps,
            "upscaler": info.hires.upscaler,
            "sampler": info.hires.sampler,
            "scheduler": info.hires.scheduler,
        }
        recipe["hires"] = {key: value for key, value in hires.items() if value is not None}
    return recipe


def _gaze_recipe(info: GenerationInfo, recipe: dict[str, Any]) -> dict[str, Any]:
    """A GAZE image's recorded recipe (its slots bring its LoRAs), with the spec's effective
    checkpoint, size and second pass; the flat recipe when it has none."""
    chunk = info.gaze or {}
    resolution = chunk.get("resolution") if isinstance(chunk.get("resolution"), dict) else {}
    request = resolution.get("request") if isinstance(resolution, dict) else None
    recorded = request.get("recipe") if isinstance(request, dict) else None
    if not isinstance(recorded, dict):
        return recipe
    merged = dict(recorded)
    for name in ("orientation", "checkpoint_pool"):
        merged.pop(name, None)
    for name in ("width", "height", "hires"):
        merged.pop(name, None)
        if name in recipe:
            merged[name] = recipe[name]
    merged["checkpoint"] = info.checkpoint
    return merged


def _refused_fields(problems: list[str]) -> set[str]:
    names = {match.group(1) for line in problems if (match := _PROBLEM_FIELD.match(line))}
    if names & {"width", "height"}:
        names |= {"width", "height"}  # given together or not at all
    return names


def _checked(recipe: dict[str, Any], warnings: list[str]) -> dict[str, Any] | None:
    """The recipe as `recipe_preset` accepts it: refused fields are left out."""
    for _attempt in range(4):
        try:
            recipe_preset(recipe)
        except Invalid as error:
            names = _refused_fields(error.problems)
            warnings.extend(f"left out of the recipe: {line}" for line in error.problems)
            if not names & set(recipe):
                return None
            recipe = {key: value for key, value in recipe.items() if key not in names}
        else:
            return recipe
    return None


def _match_models(
    info: GenerationInfo,
    checkpoints: Iterable[str],
    loras: Iterable[str],
    answer: ReproducingRecipe,
    loras_in_slots: bool,
) -> None:
    if info.checkpoint:
        answer.checkpoint = installed_match(info.checkpoint, checkpoints)
        if answer.checkpoint is None:
            hashed = f" (hash {info.checkpoint_hash})" if info.checkpoint_hash else ""
            answer.warnings.append(
                f"checkpoint {info.checkpoint!r}{hashed} is not installed; the recipe leaves "
                "the checkpoint to GAZE's default"
            )
    else:
        answer.warnings.append("the image names no checkpoint; the recipe uses GAZE's default")
    installed_loras = sorted(loras)
    for lora in info.loras:
        path = installed_match(lora.name, installed_loras)
        answer.loras.append({"name": lora.name, "strength": lora.strength, "installed": path})
        if path is None:
            answer.warnings.append(f"LoRA {lora.name!r} is not installed")
        elif not loras_in_slots:
            _add_recipe_lora(lora, path, answer)


def _add_recipe_lora(lora: LoraUse, path: str, answer: ReproducingRecipe) -> None:
    """The installed LoRA `path` as the recipe's own, unless the recipe cannot take it."""
    entry: dict[str, Any] = {"file": path, "weight": lora.strength}
    if lora.clip_strength is not None and lora.clip_strength != lora.strength:
        entry["clip_weight"] = lora.clip_strength
    reason = None
    if any(each["file"] == path for each in answer.recipe_loras):
        reason = "the recipe already uses that file"
    elif len(answer.recipe_loras) >= MAX_PRESET_LORAS:
        reason = f"a recipe takes at most {MAX_PRESET_LORAS} LoRAs"
    else:
        try:
            Lora.model_validate(entry)
        except ValidationError as error:
            reason = "; ".join(describe_errors(error))
    if reason is None:
        answer.recipe_loras.append(entry)
    else:
        answer.warnings.append(
            f"LoRA {lora.name!r} (installed as {path!r}, strength {lora.strength:g}) is left "
            f"out of the recipe: {reason}"
        )


def _generate_body(info: GenerationInfo, recipe: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"recipe": recipe}
    if info.seed is not None and seed_problem(info.seed) is None:
        body["seed"] = info.seed
    spec = (info.gaze or {}).get("spec")
    if isinstance(spec, dict):
        for name in _GAZE_BODY_FIELDS:
            source = spec.get(name)
            if isinstance(source, dict) and isinstance(source.get("path"), str):
                body[name] = source["path"]
        if "init_image" in body:
            body.update({name: spec[name] for name in _IMAGE_OPTIONS if spec.get(name) is not None})
    return body


def _match_upscaler(hires: dict[str, Any], installed: Iterable[str], warnings: list[str]) -> None:
    """An upscale model named by the image becomes the installed file of that name; a name
    GAZE does not have is left out (the second pass then scales the latent)."""
    upscaler = hires.get("upscaler")
    if not isinstance(upscaler, str) or not is_upscale_model(upscaler):
        return
    path = installed_match(upscaler, installed)
    if path is None:
        del hires["upscaler"]
        warnings.append(
            f"hires upscaler {upscaler!r} is not installed; the recipe's second pass scales "
            "the latent instead"
        )
    else:
        hires["upscaler"] = path


def recipe_of(info: GenerationInfo, installed: InstalledModels) -> ReproducingRecipe:
    """The recipe and generate body that reproduce `info` with the installed models."""
    answer = ReproducingRecipe(recipe=None, generate_body=None)
    flat = _flat_recipe(info)
    if isinstance(flat.get("hires"), dict):
        _match_upscaler(flat["hires"], installed.upscale_models, answer.warnings)
    recipe = _gaze_recipe(info, flat) if info.source == "gaze" else flat
    _match_models(
        info, installed.checkpoints, installed.loras, answer, loras_in_slots=recipe is not flat
    )
    if answer.recipe_loras:
        recipe["loras"] = answer.recipe_loras
    if answer.checkpoint is not None:
        recipe["checkpoint"] = answer.checkpoint
    else:
        recipe.pop("checkpoint", None)
    if info.denoise is not None and info.source != "gaze":
        answer.warnings.append(
            f"the image was made from another image (denoising strength {info.denoise:g}), "
            "which its file does not hold; the recipe starts from noise"
        )
    if info.vae and info.source != "gaze":
        answer.warnings.append(f"VAE {info.vae!r}: the recipe uses the checkpoint's VAE")
    if info.seed is None:
        answer.warnings.append("the image names no seed; GAZE will pick one")
    checked = _checked(recipe, answer.warnings)
    answer.recipe = checked
    answer.generate_body = None if checked is None else _generate_body(info, checked)
    return answer
