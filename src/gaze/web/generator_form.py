"""The Generator page's form <-> a recipe and the generate fields beside it.

The slot, checkpoint, size, sampling, hires and prompt fields are the preset editor's
(`gaze.web.preset_form`), so a recipe is the preset document they describe without what only
a saved preset has (id, name, description, tags, flags). Beside them: ``seed`` (blank: random)
and ``count``. The page's state travels in the query string as ``recipe=<JSON>`` (plus
``seed`` and ``count``), so a reload or a shared link keeps the choices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from gaze.outside_json import InvalidJson, load_json
from gaze.presets.recipe import recipe_preset
from gaze.service_errors import Invalid
from gaze.web.preset_form import FormValues, editor_state, preset_document

SAVED_PRESET_ONLY = ("id", "name", "description", "tags", "is_favourite", "is_nsfw", "cover")
"""Preset fields a recipe leaves out: they describe a saved preset, not what it generates."""

MAX_GENERATOR_COUNT = 20
DEFAULT_RECIPE: dict[str, Any] = {"characters": {"mode": "random"}, "orientation": "portrait"}


@dataclass(frozen=True)
class GeneratorRequest:
    """What the form asks for: the recipe, the seed text (blank: random) and the count text."""

    recipe: dict[str, Any]
    seed: str = ""
    count: str = "1"

    def resolve_body(self, seed: int | None) -> dict[str, Any]:
        """The body `resolve_recipe` (POST /api/v1/resolve) takes."""
        return {"recipe": self.recipe, "seed": seed}

    def query(self) -> str:
        """The page's state as a query string (``/generator?<this>``)."""
        fields = {"recipe": json.dumps(self.recipe, separators=(",", ":"))}
        if self.seed:
            fields["seed"] = self.seed
        if self.count not in ("", "1"):
            fields["count"] = self.count
        return urlencode(fields)


def _one(values: FormValues, name: str) -> str:
    found = values.get(name) or []
    return found[-1].strip() if found else ""


def recipe_of_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """A preset document (stored, or made by the editor's fields) as a recipe."""
    recipe = {name: value for name, value in document.items() if name not in SAVED_PRESET_ONLY}
    recipe.pop("slug", None)
    for name in ("positive", "negative"):
        if recipe.get(name) == "":
            recipe.pop(name)
    return recipe


def request_from_form(values: FormValues) -> GeneratorRequest:
    """The recipe and the generate fields the Generator's form holds."""
    document = preset_document(values, preset_id="")
    return GeneratorRequest(
        recipe_of_document(document),
        seed=_one(values, "seed"),
        count=_one(values, "count") or "1",
    )


def request_from_query(values: Mapping[str, str]) -> tuple[GeneratorRequest, list[str]]:
    """The state a bookmarked ``/generator?recipe=...`` link holds, and what was wrong with
    it (a damaged link opens the default recipe, saying why)."""
    seed = (values.get("seed") or "").strip()
    count = (values.get("count") or "").strip() or "1"
    text = values.get("recipe")
    if text is None:
        return GeneratorRequest(dict(DEFAULT_RECIPE), seed, count), []
    try:
        recipe = load_json(text.encode())
    except InvalidJson as error:
        return GeneratorRequest(dict(DEFAULT_RECIPE), seed, count), [f"recipe: {error}"]
    if not isinstance(recipe, dict):
        problem = "recipe: must be a JSON object"
        return GeneratorRequest(dict(DEFAULT_RECIPE), seed, count), [problem]
    return GeneratorRequest(recipe, seed, count), []


def form_state(recipe: Mapping[str, Any]) -> dict[str, Any]:
    """What the editor's form pieces show for a recipe (slot shorthand expanded when the
    recipe is valid; a refused recipe is shown as written)."""
    try:
        document = recipe_preset(recipe).model_dump(mode="json", exclude_none=True)
    except Invalid:
        document = dict(recipe)
        document.pop("slots", None)
    for category, slot in list(document.items()):
        if isinstance(slot, Mapping) and slot.get("mode") == "none":
            document.pop(category)
    return editor_state(document)
