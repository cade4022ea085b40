"""The preset service: presets as stored in the database, and their resolution (what a
generation would use) without generating.

Presets are found by slug, or by id. Errors are `gaze.service_errors` exceptions: `NotFound`,
`Conflict` (id or slug taken), `Invalid` (every problem of a document, one line each; a preset
naming a resource or field the library lacks is invalid too).
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, Row
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import PresetRow
from gaze.engines.model_lists import unavailable_checkpoint_problem
from gaze.generation_spec import random_seed, seed_problem
from gaze.library.collection import DocumentCollection, Item
from gaze.library.covers import cover_url
from gaze.library.database_view import DatabaseLibrary
from gaze.library.fields import relative_path_problem
from gaze.library.listing import Page, list_filter
from gaze.library.schema import CATEGORIES
from gaze.library.text_rules import MAX_PROMPT_LENGTH, prompt_problem
from gaze.presets.lora_files import KnownLoras, unknown_lora_problems
from gaze.presets.lora_fit import lora_fit_problems
from gaze.presets.references import missing_references
from gaze.presets.resolve import Overrides, Resolution, ResolutionError, resolve_preset
from gaze.presets.schema import Preset
from gaze.presets.store import upsert_preset
from gaze.service_errors import Invalid

MAX_EXTRA_PROMPT = MAX_PROMPT_LENGTH
OVERRIDE_FIELDS = ("checkpoint", "extra_positive", "extra_negative", "width", "height")


CARD_COLUMNS = (
    PresetRow.id,
    PresetRow.slug,
    PresetRow.name,
    PresetRow.cover,
    PresetRow.is_favourite,
)


def card(row: Sequence[Any]) -> dict[str, Any]:
    """A preset as the API guide lists it, from a row of `CARD_COLUMNS`."""
    return {"preset_id": row[0], "slug": row[1], "name": row[2], "has_cover": row[3] is not None}


class PresetCollection(DocumentCollection):
    noun = "preset"
    key_name = "slug"
    row_class = PresetRow

    def __init__(
        self,
        database: Database,
        media_dir: Path,
        checkpoints_dir: Path | None,
        known_loras: KnownLoras | None = None,
    ) -> None:
        super().__init__(database, media_dir)
        self.checkpoints_dir = checkpoints_dir
        self.known_loras = known_loras

    def model(self) -> type[BaseModel]:
        return Preset

    def scope(self) -> list[ColumnElement[bool]]:
        return []

    def save(self, session: Session, item: Item) -> None:
        assert isinstance(item, Preset)
        upsert_preset(session, item)

    def list_item(self, row: Row[Any]) -> dict[str, Any]:
        return {
            "preset_id": row.id,
            "slug": row.slug,
            "name": row.name,
            "has_cover": row.cover is not None,
            "tags": row.tags or {},
            "is_favourite": bool(row.is_favourite),
            "is_nsfw": bool(row.is_nsfw),
            "cover": row.cover,
            "cover_url": cover_url(row.cover),
        }

    def library(self) -> DatabaseLibrary:
        return DatabaseLibrary(self.database, self.checkpoints_dir)

    def reference_problems(self, item: Item) -> list[str]:
        assert isinstance(item, Preset)
        library = self.library()
        problems = missing_references(item, library) + lora_fit_problems(item, library)
        if item.loras and self.known_loras is not None:
            problems += unknown_lora_problems(item, self.known_loras())
        return problems


def overrides_from(values: Mapping[str, Any]) -> Overrides:
    """Per-request overrides from a mapping with any of `OVERRIDE_FIELDS`; Invalid names every
    bad value."""
    problems = [f"{key}: unknown field" for key in values if key not in OVERRIDE_FIELDS]
    checkpoint = values.get("checkpoint")
    if checkpoint is not None:
        problem = (
            relative_path_problem(checkpoint) if isinstance(checkpoint, str) else "must be a string"
        )
        if problem:
            problems.append(f"checkpoint: {problem}")
    for name in ("extra_positive", "extra_negative"):
        text = values.get(name, "")
        if not isinstance(text, str):
            problems.append(f"{name}: must be a string")
        elif problem := prompt_problem(text):
            problems.append(f"{name}: {problem}")
    if problems:
        raise Invalid(problems, code="invalid_overrides")
    try:
        return Overrides(
            checkpoint=checkpoint,
            extra_positive=values.get("extra_positive", ""),
            extra_negative=values.get("extra_negative", ""),
            width=values.get("width"),
            height=values.get("height"),
        )
    except ValueError as error:
        raise Invalid([f"size: {error}"], code="invalid_size") from None


def resolution_answer(
    preset_id: str, slug: str, seed: int, resolution: Resolution
) -> dict[str, Any]:
    """The resolve endpoints' answer: ``preset_id``, ``slug``, ``seed``, ``prompt``,
    ``negative``, ``loras``, ``checkpoint``, ``width``, ``height``, ``choices`` and ``spec``."""
    spec = resolution.spec
    return {
        "preset_id": preset_id,
        "slug": slug,
        "seed": seed,
        "prompt": spec.positive,
        "negative": spec.negative,
        "loras": [
            {"name": lora.name, "model_weight": lora.model_weight, "clip_weight": lora.clip_weight}
            for lora in spec.loras
        ],
        "checkpoint": spec.checkpoint,
        "width": spec.width,
        "height": spec.height,
        "choices": resolution.choices,
        "spec": spec.to_dict(),
    }


def problems_for_generation(
    document: Mapping[str, Any],
    library: DatabaseLibrary,
    available_checkpoints: Collection[str] | None = None,
) -> list[str]:
    """Why a stored preset cannot generate yet (empty when it can): no checkpoint (or, given
    `available_checkpoints`, one no backend has), a random slot with nothing to pick from, or
    whatever else stops resolving it."""
    try:
        preset = Preset.model_validate(document)
    except ValidationError as error:
        return [str(error)]
    problems: list[str] = []
    if preset.checkpoint is None and not preset.checkpoint_pool:
        problems.append("checkpoint: none is set (choose one, or a list to pick from)")
    elif available_checkpoints is not None:
        wanted = [preset.checkpoint] if preset.checkpoint else preset.checkpoint_pool
        problems += [
            f"checkpoint: {path!r} is not on any backend"
            for path in wanted
            if path not in available_checkpoints
        ]
    for category in CATEGORIES:
        slot = getattr(preset, category)
        if slot.mode != "random" or (slot.pool is not None and slot.pool.kind == "list"):
            continue
        tag_filter = slot.pool.tag_filter() if slot.pool is not None else None
        if not library.ids(category, tag_filter):
            where = f"with the tag {slot.pool.key}={slot.pool.value!r}" if tag_filter else "at all"
            problems.append(f"{category}: random, but the library has no {category} {where}")
    if problems:
        return problems
    try:
        resolve_preset(preset, library, Overrides(), 0)
    except ResolutionError as error:
        return [str(error)]
    return []


class PresetService:
    """Presets: see the module docstring. `checkpoints_dir` (the local models' checkpoints
    folder) lets resolution read a checkpoint's base model from its file when the checkpoint
    has no stored settings; `known_loras` (the backends' LoRA files) lets saving refuse a
    preset's own LoRA that is not installed."""

    def __init__(
        self,
        database: Database,
        media_dir: Path,
        *,
        checkpoints_dir: Path | None = None,
        known_loras: KnownLoras | None = None,
    ) -> None:
        self.database = database
        self.media_dir = media_dir
        self.presets = PresetCollection(database, media_dir, checkpoints_dir, known_loras)

    def list(
        self,
        *,
        q: str | None = None,
        tags: Mapping[str, str] | None = None,
        favourite: bool | None = None,
        nsfw: bool | None = None,
        limit: int | None = 50,
        cursor: str | None = None,
    ) -> Page:
        """A page of presets, favourites first, then by name, then by id (`limit=None`: all).
        Items: preset_id, slug, name, has_cover (the API guide's keys), tags, is_favourite,
        is_nsfw, cover, cover_url."""
        return self.presets.list(
            q=q, tags=tags, favourite=favourite, nsfw=nsfw, limit=limit, cursor=cursor
        )

    def cards(
        self,
        *,
        q: str | None = None,
        tags: Mapping[str, str] | None = None,
        favourite: bool | None = None,
        nsfw: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        """`list` with the API guide's items only (preset_id, slug, name, has_cover), read
        without the documents: fast enough to list every preset at once (`limit=None`)."""
        request = list_filter(
            q=q, tags=tags, favourite=favourite, nsfw=nsfw, limit=limit, cursor=cursor
        )
        columns: list[Any] = list(CARD_COLUMNS)
        if request.tags:
            columns.append(PresetRow.document["tags"].label("tags"))
        return self.presets.page(request, columns, card)

    def get(self, slug: str) -> dict[str, Any] | None:
        """The preset's document, or None."""
        return self.presets.get(slug)

    def create(self, document: Any) -> dict[str, Any]:
        return self.presets.create(document)

    def problems_for_generation(
        self, document: Mapping[str, Any], available_checkpoints: Collection[str] | None = None
    ) -> builtins.list[str]:
        """Why the (stored) preset cannot generate yet; empty when it can."""
        return problems_for_generation(document, self.presets.library(), available_checkpoints)

    def replace(self, slug: str, document: Any) -> dict[str, Any]:
        return self.presets.replace(slug, document)

    def patch(self, slug: str, changes: Any) -> dict[str, Any]:
        return self.presets.patch(slug, changes)

    def delete(self, slug: str) -> None:
        self.presets.delete(slug)

    def duplicate(self, slug: str, new_id: str) -> dict[str, Any]:
        return self.presets.duplicate(slug, new_id)

    def set_cover(self, slug: str, relative_media_path: str | None) -> dict[str, Any]:
        return self.presets.set_cover(slug, relative_media_path)

    def set_flags(
        self, slug: str, favourite: bool | None = None, nsfw: bool | None = None
    ) -> dict[str, Any]:
        return self.presets.set_flags(slug, favourite=favourite, nsfw=nsfw)

    def resolve(
        self,
        slug: str,
        seed: int | None = None,
        overrides: Overrides | Mapping[str, Any] | None = None,
        *,
        available_checkpoints: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """What one generation of the preset would use, without generating: ``seed`` (picked
        when None), ``prompt``, ``negative``, ``loras``, ``checkpoint``, ``width``,
        ``height``, ``choices`` (what each slot picked) and the full ``spec``. The same seed
        always gives the same answer. With `available_checkpoints`, a checkpoint override
        must be one of them."""
        if overrides is None:
            overrides = Overrides()
        elif not isinstance(overrides, Overrides):
            overrides = overrides_from(overrides)
        if seed is None:
            seed = random_seed()
        problem = seed_problem(seed)
        if problem:
            raise Invalid([f"seed: {problem}"], code="invalid_seed")
        if overrides.checkpoint and available_checkpoints is not None:
            problem = unavailable_checkpoint_problem(overrides.checkpoint, available_checkpoints)
            if problem:
                raise Invalid([f"checkpoint: {problem}"], code="unknown_checkpoint")
        with self.database.session() as session:
            row = self.presets.required(session, slug)
            preset_id, preset_slug, document = row.id, row.slug, row.document
        try:
            preset = Preset.model_validate(document)
            resolution = resolve_preset(preset, self.presets.library(), overrides, seed)
        except (ResolutionError, ValidationError) as error:
            raise Invalid([str(error)], code="preset_unresolvable") from None
        return resolution_answer(preset_id, preset_slug, seed, resolution)
