"""The library service: resources of every category (characters, looks, outfits, actions,
styles, scenes, detailers) as stored in the database.

Errors are `gaze.service_errors` exceptions: `NotFound`, `Conflict` (an id or slug taken; a
resource still used by presets or by a character's wardrobe), `Invalid` (every problem of a
document, one line each).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, Text, cast, or_, select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import ResourceRow
from gaze.engines.model_lists import ModelLists
from gaze.library.collection import DocumentCollection, Item
from gaze.library.covers import cover_url
from gaze.library.fields import FIELD_SEPARATOR, IDENTITY_SECTION
from gaze.library.listing import Page
from gaze.library.lora_family_warning import lora_family_warnings
from gaze.library.schema import CATEGORIES, Character, Resource, resource_model_for
from gaze.library.store import upsert_resource
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.library.tag_warnings import tag_findings
from gaze.library.wordlists import WordlistCollection
from gaze.service_errors import Invalid

ResourceUsers = Callable[[Session, str, str], list[str]]
"""Who outside the library uses a resource, given (session, category, id): one line each,
such as ``preset 'x' (X)``. The presets package provides it (`gaze.presets.usage`)."""


def mentions(document_column: Any, value: str) -> ColumnElement[bool]:
    """A cheap SQL pre-filter: the stored JSON text contains `value` as a JSON string
    (written with or without escapes for non-ASCII characters)."""
    text = cast(document_column, Text)
    spellings = {json.dumps(value), json.dumps(value, ensure_ascii=False)}
    return or_(*(text.contains(spelling, autoescape=True) for spelling in sorted(spellings)))


def every_field_address(category: str, document: Mapping[str, Any]) -> list[str]:
    """Every ``section::key`` a resource document holds (a character's identity first)."""
    sections: list[Any] = []
    if category == "characters":
        sections.append((IDENTITY_SECTION, document.get("identity")))
    fields = document.get("fields")
    if isinstance(fields, Mapping):
        sections += list(fields.items())
    return [
        f"{section}{FIELD_SEPARATOR}{key}"
        for section, values in sections
        if isinstance(section, str) and isinstance(values, Mapping)
        for key in values
        if isinstance(key, str)
    ]


def with_default_fields(category: str, document: Any) -> Any:
    """A new resource that does not say which fields are its defaults uses all of them."""
    if not isinstance(document, dict) or "default_fields" in document:
        return document
    return {**document, "default_fields": every_field_address(category, document)}


def lora_warnings(document: Mapping[str, Any], known_loras: Collection[str] | None) -> list[str]:
    """What is saved but will not work: a LoRA file no backend has (`known_loras`: every LoRA
    file of every backend; None when no backend could be asked)."""
    lora = document.get("lora")
    if known_loras is None or not isinstance(lora, Mapping):
        return []
    file = lora.get("file")
    if not isinstance(file, str) or file in known_loras:
        return []
    return [f"lora: file {file!r} is not in models/loras or on any backend"]


def known_lora_files(lists: Sequence[ModelLists]) -> set[str] | None:
    """Every LoRA file of the backends that answered; None when none did."""
    return set().union(*(backend.loras for backend in lists)) if lists else None


def with_warnings(
    document: dict[str, Any],
    lists: Sequence[ModelLists],
    loras_dir: Path | None = None,
    vocabulary: TagVocabulary | None = None,
) -> dict[str, Any]:
    """A saved resource with ``warnings`` (what will not work yet, and prompt tags the
    imported vocabulary knows only as an alias or not at all) when there are any; the tag
    findings also as ``tag_warnings`` objects. The document itself is never changed."""
    warnings = lora_warnings(document, known_lora_files(lists))
    warnings += lora_family_warnings(document, loras_dir)
    findings = tag_findings(document, vocabulary) if vocabulary is not None else []
    warnings += [finding.message for finding in findings]
    if findings:
        document = {**document, "tag_warnings": [finding.as_json() for finding in findings]}
    return {**document, "warnings": warnings} if warnings else document


class ResourceCollection(DocumentCollection):
    """The resources of one category, or (category None, for listing only) of all."""

    row_class = ResourceRow

    def __init__(
        self,
        database: Database,
        media_dir: Path,
        category: str | None,
        outside_users: ResourceUsers,
    ) -> None:
        super().__init__(database, media_dir)
        self.outside_users = outside_users
        if category is not None and category not in CATEGORIES:
            raise Invalid(
                [f"category: {category!r} is not one of {', '.join(CATEGORIES)}"],
                code="unknown_category",
            )
        self.category = category
        self.noun = category[:-1] if category else "resource"

    def model(self) -> type[BaseModel]:
        if self.category is None:
            raise Invalid(["category: name the category of the resource"], code="no_category")
        return resource_model_for(self.category)

    def scope(self) -> list[ColumnElement[bool]]:
        if self.category is None:  # every category, but not the wordlists stored beside them
            return [ResourceRow.category.in_(CATEGORIES)]
        return [ResourceRow.category == self.category]

    def save(self, session: Session, item: Item) -> None:
        assert isinstance(item, Resource)
        upsert_resource(session, item)

    def list_columns(self) -> list[Any]:
        return [*super().list_columns(), ResourceRow.category]

    def order_columns(self) -> list[Any]:
        columns = super().order_columns()
        return columns if self.category is not None else [*columns, ResourceRow.category]

    def list_item(self, row: Row[Any]) -> dict[str, Any]:
        return {
            "id": row.id,
            "category": row.category,
            "slug": row.slug,
            "name": row.name,
            "tags": row.tags or {},
            "is_favourite": bool(row.is_favourite),
            "is_nsfw": bool(row.is_nsfw),
            "cover": row.cover,
            "cover_url": cover_url(row.cover),
        }

    def reference_problems(self, item: Item) -> list[str]:
        if not isinstance(item, Character):
            return []
        wanted = {
            name: outfit.outfit_id
            for name, outfit in item.wardrobe.items()
            if outfit.outfit_id is not None
        }
        if not wanted:
            return []
        with self.database.session() as session:
            known = set(
                session.execute(
                    select(ResourceRow.id).where(
                        ResourceRow.category == "outfits", ResourceRow.id.in_(wanted.values())
                    )
                ).scalars()
            )
        return [
            f"wardrobe.{name}.outfit_id: no outfit with id {outfit_id!r}"
            for name, outfit_id in wanted.items()
            if outfit_id not in known
        ]

    def users(self, session: Session, row: Any) -> list[str]:
        category, resource_id = row.category, row.id
        found = self.outside_users(session, category, resource_id)
        if category == "outfits":
            characters = session.execute(
                select(ResourceRow.id, ResourceRow.document)
                .where(
                    ResourceRow.category == "characters",
                    mentions(ResourceRow.document, resource_id),
                )
                .order_by(ResourceRow.id)
            ).all()
            for character in characters:
                wardrobe = Character.model_validate(character.document).wardrobe
                for name, outfit in wardrobe.items():
                    if outfit.outfit_id == resource_id:
                        found.append(f"character {character.id!r} (wardrobe outfit {name!r})")
        return found


class LibraryService:
    """Resources by category; see the module docstring. Resources are found by id, or by
    slug when no id matches."""

    def __init__(
        self, database: Database, media_dir: Path, *, outside_users: ResourceUsers
    ) -> None:
        self.database = database
        self.media_dir = media_dir
        self.outside_users = outside_users

    def collection(self, category: str | None) -> ResourceCollection:
        """The resources of a category (None: all, for listing); Invalid for an unknown one."""
        return ResourceCollection(self.database, self.media_dir, category, self.outside_users)

    def wordlists(self) -> WordlistCollection:
        """The wordlists that prompt wildcards pick from (not a resource category)."""
        return WordlistCollection(self.database, self.media_dir)

    def list(
        self,
        category: str | None,
        *,
        q: str | None = None,
        tags: Mapping[str, str] | None = None,
        favourite: bool | None = None,
        nsfw: bool | None = None,
        limit: int | None = 50,
        cursor: str | None = None,
    ) -> Page:
        """A page of resources of a category (None: of every category), favourites first,
        then by name, then by id. `q` searches names and ids (case-insensitive); `tags`
        keeps resources whose tag `key` is (or contains) `value`; `limit=None` lists all.
        Items: id, category, slug, name, tags, is_favourite, is_nsfw, cover, cover_url."""
        return self.collection(category).list(
            q=q, tags=tags, favourite=favourite, nsfw=nsfw, limit=limit, cursor=cursor
        )

    def get(self, category: str, resource_id: str) -> dict[str, Any] | None:
        """The resource's document, or None."""
        return self.collection(category).get(resource_id)

    def create(self, category: str, document: Any) -> dict[str, Any]:
        """Store a new resource; without ``default_fields`` every field is a default."""
        return self.collection(category).create(with_default_fields(category, document))

    def replace(self, category: str, resource_id: str, document: Any) -> dict[str, Any]:
        return self.collection(category).replace(resource_id, document)

    def patch(self, category: str, resource_id: str, changes: Any) -> dict[str, Any]:
        return self.collection(category).patch(resource_id, changes)

    def delete(self, category: str, resource_id: str) -> None:
        self.collection(category).delete(resource_id)

    def duplicate(self, category: str, resource_id: str, new_id: str) -> dict[str, Any]:
        return self.collection(category).duplicate(resource_id, new_id)

    def set_cover(
        self, category: str, resource_id: str, relative_media_path: str | None
    ) -> dict[str, Any]:
        return self.collection(category).set_cover(resource_id, relative_media_path)

    def set_flags(
        self,
        category: str,
        resource_id: str,
        favourite: bool | None = None,
        nsfw: bool | None = None,
    ) -> dict[str, Any]:
        return self.collection(category).set_flags(resource_id, favourite=favourite, nsfw=nsfw)
