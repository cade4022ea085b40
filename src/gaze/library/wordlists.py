"""The stored wordlists (see `wordlist_schema`): list, read, create, replace, merge-patch,
delete and duplicate, as for resources; and a ``.txt`` file read as a wordlist's lines."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row
from sqlalchemy.orm import Session

from gaze.db.models import ResourceRow, utcnow
from gaze.library.collection import DocumentCollection, Item
from gaze.library.covers import cover_url
from gaze.library.store import sync_card
from gaze.library.wordlist_schema import (
    MAX_WORDLIST_BYTES,
    WORDLISTS,
    Wordlist,
    lines_from_text,
)
from gaze.outside_json import InvalidJson, load_json
from gaze.service_errors import Invalid, TooLarge


class WordlistCollection(DocumentCollection):
    """The wordlists, stored as rows of category ``wordlists`` in the resources table."""

    row_class = ResourceRow
    noun = "wordlist"

    def model(self) -> type[BaseModel]:
        return Wordlist

    def scope(self) -> list[ColumnElement[bool]]:
        return [ResourceRow.category == WORDLISTS]

    def save(self, session: Session, item: Item) -> None:
        assert isinstance(item, Wordlist)
        row = session.get(ResourceRow, (WORDLISTS, item.id))
        if row is None:
            row = ResourceRow(category=WORDLISTS, id=item.id, created_at=utcnow())
            session.add(row)
        sync_card(row, item)

    def list_item(self, row: Row[Any]) -> dict[str, Any]:
        return {
            "id": row.id,
            "category": WORDLISTS,
            "slug": row.slug,
            "name": row.name,
            "tags": row.tags or {},
            "is_favourite": bool(row.is_favourite),
            "is_nsfw": bool(row.is_nsfw),
            "cover": row.cover,
            "cover_url": cover_url(row.cover),
        }

    def import_text(
        self, key: str, raw: bytes, name: str | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Create or replace the lines of the wordlist `key` from a UTF-8 text file (one line
        per entry), keeping the other fields of an existing one; a new one is named `name`
        (default: its id). Gives the stored document and whether it was created."""
        lines = text_lines(raw)
        with self.database.session() as session:
            row = self.find(session, key)
            if row is not None:
                document = {**row.document, "lines": lines}
                if name is not None:
                    document["name"] = name
                return self.store(session, row, document), False
        return self.create({"id": key, "name": name or key, "lines": lines}), True


def text_lines(raw: bytes) -> list[str]:
    """The lines of a ``.txt`` body; Invalid when it is not UTF-8, TooLarge over the limit."""
    if len(raw) > MAX_WORDLIST_BYTES:
        raise TooLarge(f"The body is over {MAX_WORDLIST_BYTES} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Invalid(
            [f"(body): not UTF-8 text (byte {error.start + 1})"], code="invalid_text"
        ) from None
    return lines_from_text(text)


def json_body(raw: bytes) -> Any:
    """The JSON value of a wordlist body (up to `MAX_WORDLIST_BYTES`, larger than other
    library documents); Invalid when empty or not JSON."""
    if len(raw) > MAX_WORDLIST_BYTES:
        raise TooLarge(f"The body is over {MAX_WORDLIST_BYTES} bytes.")
    if not raw.strip():
        raise Invalid(["(body): send a JSON document, or text/plain lines"], code="missing_body")
    try:
        return load_json(raw)
    except InvalidJson as error:
        raise Invalid([f"(body): not valid JSON: {error}"], code="invalid_json") from None
