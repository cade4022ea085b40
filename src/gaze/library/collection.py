"""One collection of stored documents (a resource category, or the presets): list, read,
create, replace, merge-patch, delete, duplicate, covers and flags.

The document is the truth: every write validates it with its model and stores the canonical
dump, and the row's columns (slug, name, flags, cover) are copied from it. Items are found by
id, or by slug when no id matches (an id that is also another item's slug cannot exist, since
slugs are unique). `LibraryService` and `PresetService` are built on this class.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.library.covers import cover_problem
from gaze.library.fields import describe_errors
from gaze.library.listing import ListedRow, ListFilter, Page, keyset_page, list_filter
from gaze.library.merge_patch import apply_merge_patch
from gaze.library.store import CardDocument
from gaze.service_errors import Conflict, Invalid, NotFound


class Item(CardDocument, Protocol):
    """A validated document of a collection: a resource, a preset."""

    id: str


MAX_USERS_NAMED = 10
"""How many users of an item a refused delete names."""


class DocumentCollection(ABC):
    """The operations shared by every kind of library document; see the module docstring."""

    noun: str
    """What one item is called in messages: ``character``, ``preset``..."""
    key_name = "id"
    """What callers find items by, for messages: ``id`` (or ``slug``)."""
    row_class: ListedRow

    def __init__(self, database: Database, media_dir: Path) -> None:
        self.database = database
        self.media_dir = media_dir

    # --- what each kind defines ----------------------------------------------------------------

    @abstractmethod
    def model(self) -> type[BaseModel]:
        """The model documents are validated with (its instances are Items)."""

    @abstractmethod
    def scope(self) -> list[ColumnElement[bool]]:
        """Conditions selecting this collection's rows in its table."""

    @abstractmethod
    def save(self, session: Session, item: Item) -> None:
        """Insert or update the row of a validated item."""

    @abstractmethod
    def list_item(self, row: Row[Any]) -> dict[str, Any]:
        """A list entry from a row of `list_columns`."""

    def reference_problems(self, item: Item) -> list[str]:
        """What the item names that the library lacks (one line each); none by default."""
        return []

    def users(self, session: Session, row: Any) -> list[str]:
        """Who uses the item (``"preset 'x' (X)"``), which forbids deleting it."""
        return []

    # --- reading -------------------------------------------------------------------------------

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
        """A page of items, favourites first, then by name, then by id; `limit=None` gives
        every item. Invalid for a bad filter or cursor."""
        request = list_filter(
            q=q, tags=tags, favourite=favourite, nsfw=nsfw, limit=limit, cursor=cursor
        )
        return self.page(request, self.list_columns(), self.list_item)

    def page(
        self,
        request: ListFilter,
        columns: Sequence[Any],
        item_of: Callable[[Row[Any]], dict[str, Any]],
    ) -> Page:
        """A page of `request`, each row of `columns` (with ``is_favourite``, the order
        columns, and ``tags`` for a tag filter) made an item by `item_of`."""
        statement = select(*columns).where(*self.scope())
        with self.database.engine.connect() as connection:
            return keyset_page(
                connection, statement, self.row_class, request, item_of, self.order_columns()
            )

    def order_columns(self) -> builtins.list[Any]:
        """The list order after favourites first: name, then id."""
        return [self.row_class.name, self.row_class.id]

    def list_columns(self) -> builtins.list[Any]:
        row = self.row_class
        return [
            row.id,
            row.slug,
            row.name,
            row.is_favourite,
            row.is_nsfw,
            row.cover,
            row.document["tags"].label("tags"),
        ]

    def get(self, key: str) -> dict[str, Any] | None:
        """The document of the item with this id (or slug), or None."""
        with self.database.session() as session:
            row = self.find(session, key)
            return None if row is None else self.canonical(row.document)

    def find(self, session: Session, key: str) -> Any:
        """The row whose id, else whose slug, is `key`; None when there is none."""
        row_class = self.row_class
        for column in (row_class.id, row_class.slug):
            row = session.execute(
                select(row_class).where(*self.scope(), column == key)
            ).scalar_one_or_none()
            if row is not None:
                return row
        return None

    def required(self, session: Session, key: str) -> Any:
        row = self.find(session, key)
        if row is None:
            raise NotFound(
                f"No {self.noun} with {self.key_name} {key!r}.", code=f"{self.noun}_not_found"
            )
        return row

    def canonical(self, document: dict[str, Any]) -> dict[str, Any]:
        """A stored document with every field, as the current model writes it."""
        try:
            return self.model().model_validate(document).model_dump(mode="json")
        except ValidationError:
            return document  # stored by an older version: shown as it is

    # --- writing -------------------------------------------------------------------------------

    def validated(self, document: Any) -> Item:
        """The item a document describes; Invalid lists every problem."""
        intro = f"Invalid {self.noun}: "
        if not isinstance(document, dict):
            kind = type(document).__name__
            raise Invalid([f"(document): must be a JSON object, got {kind}"], intro=intro)
        try:
            item = cast(Item, self.model().model_validate(document))
        except ValidationError as error:
            raise Invalid(describe_errors(error), intro=intro) from None
        problems = self.reference_problems(item)
        if problems:
            raise Invalid(problems, intro=intro, code="unknown_reference")
        return item

    def create(self, document: Any) -> dict[str, Any]:
        """Store a new item; Conflict when its id or slug is taken."""
        item = self.validated(document)
        try:
            with self.database.session() as session:
                self.ensure_free(session, item)
                self.save(session, item)
        except IntegrityError:
            raise self.taken(item) from None
        return item.model_dump(mode="json")

    def ensure_free(self, session: Session, item: Item) -> None:
        row_class = self.row_class
        holder = session.execute(
            select(row_class.id).where(
                *self.scope(), (row_class.id == item.id) | (row_class.slug == item.slug)
            )
        ).first()
        if holder is not None:
            raise self.taken(item, holder.id)

    def taken(self, item: Item, holder: str | None = None) -> Conflict:
        if holder is None or holder == item.id:
            return Conflict(
                f"A {self.noun} with id {item.id!r} already exists.", code="already_exists"
            )
        return Conflict(
            f"The id {item.id!r} has the slug {item.slug!r}, which is already the slug of "
            f"the {self.noun} {holder!r}; choose another id.",
            code="slug_taken",
        )

    def replace(self, key: str, document: Any) -> dict[str, Any]:
        """Replace an item's document (``id`` may be left out; it cannot change)."""
        with self.database.session() as session:
            row = self.required(session, key)
            return self.store(session, row, document)

    def patch(self, key: str, changes: Any) -> dict[str, Any]:
        """Change an item with a JSON merge patch (RFC 7396): keys set to null are removed
        (back to their default), objects are merged, other values replace."""
        if not isinstance(changes, dict):
            raise Invalid(
                ["(document): a merge patch must be a JSON object"],
                intro=f"Invalid {self.noun} patch: ",
            )
        with self.database.session() as session:
            row = self.required(session, key)
            return self.store(session, row, apply_merge_patch(row.document, changes))

    def store(self, session: Session, row: Any, document: Any) -> dict[str, Any]:
        if isinstance(document, dict) and "id" not in document:
            document = {**document, "id": row.id}
        if isinstance(document, dict) and document["id"] != row.id:
            raise Invalid(
                [
                    f"id: cannot change from {row.id!r} (to copy the {self.noun} under another "
                    "id, duplicate it)"
                ],
                code="id_mismatch",
            )
        item = self.validated(document)
        self.save(session, item)
        return item.model_dump(mode="json")

    def delete(self, key: str) -> None:
        """Delete an item; Conflict naming its users when others still use it."""
        with self.database.session() as session:
            row = self.required(session, key)
            users = self.users(session, row)
            if users:
                named = ", ".join(users[:MAX_USERS_NAMED])
                if len(users) > MAX_USERS_NAMED:
                    named += f" and {len(users) - MAX_USERS_NAMED} more"
                raise Conflict(
                    f"The {self.noun} {row.id!r} is used by {named}; change or delete them first.",
                    code="in_use",
                )
            session.delete(row)

    def duplicate(self, key: str, new_id: str) -> dict[str, Any]:
        """A copy of an item under a new id, named ``"<name> (copy)"``."""
        with self.database.session() as session:
            document = dict(self.required(session, key).document)
        document.pop("slug", None)
        document.update(id=new_id, name=f"{document.get('name', '')} (copy)")
        return self.create(document)

    def set_cover(self, key: str, relative_media_path: str | None) -> dict[str, Any]:
        """Set (or with None, remove) the cover: an image in the media folder."""
        if relative_media_path is not None:
            problem = cover_problem(self.media_dir, relative_media_path)
            if problem:
                raise Invalid([problem], code="invalid_cover")
        return self.update(key, {"cover": relative_media_path})

    def set_flags(
        self, key: str, favourite: bool | None = None, nsfw: bool | None = None
    ) -> dict[str, Any]:
        """Mark or unmark as favourite and as NSFW; None leaves a flag as it is."""
        changes: dict[str, Any] = {}
        if favourite is not None:
            changes["is_favourite"] = bool(favourite)
        if nsfw is not None:
            changes["is_nsfw"] = bool(nsfw)
        return self.update(key, changes)

    def update(self, key: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self.database.session() as session:
            row = self.required(session, key)
            return self.store(session, row, {**row.document, **changes})
