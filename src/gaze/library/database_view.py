"""The library as preset resolution sees it (`LibraryView`), read from the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import CheckpointRow, ResourceRow
from gaze.library.checkpoint_files import detect_base_model
from gaze.library.schema import CheckpointSettings, Resource, resource_model_for
from gaze.library.view import tags_match
from gaze.library.wordlist_schema import WORDLISTS, usable_lines


class DatabaseLibrary:
    """Reads resources lazily and memoises them for the life of one request."""

    def __init__(self, database: Database, checkpoints_dir: Path | None = None) -> None:
        self.database = database
        self.checkpoints_dir = checkpoints_dir
        self._resources: dict[tuple[str, str], Resource | None] = {}
        self._ids: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = {}
        self._checkpoints: dict[str, CheckpointSettings] = {}
        self._wordlists: dict[str, tuple[str, ...] | None] = {}
        self._nsfw_ids: dict[str, frozenset[str]] = {}

    def get(self, category: str, resource_id: str) -> Resource | None:
        key = (category, resource_id)
        if key not in self._resources:
            with self.database.session() as session:
                row = session.get(ResourceRow, (category, resource_id))
            self._resources[key] = (
                resource_model_for(category).model_validate(row.document) if row else None
            )
        return self._resources[key]

    def ids(self, category: str, tag_filter: Mapping[str, str] | None = None) -> list[str]:
        key = (category, tuple(sorted(tag_filter.items())) if tag_filter else ())
        if key not in self._ids:
            with self.database.session() as session:
                if not tag_filter:
                    found = list(
                        session.execute(
                            select(ResourceRow.id).where(ResourceRow.category == category)
                        ).scalars()
                    )
                else:
                    model = resource_model_for(category)
                    found = []
                    for row in session.execute(
                        select(ResourceRow).where(ResourceRow.category == category)
                    ).scalars():
                        resource = model.model_validate(row.document)
                        self._resources[(category, row.id)] = resource
                        if tags_match(resource, tag_filter):
                            found.append(row.id)
            self._ids[key] = sorted(found)
        return list(self._ids[key])

    def checkpoint(self, path: str) -> CheckpointSettings:
        """Stored settings, else defaults for the file's base model.

        Whether a backend has the file is checked apart, against the backends' model lists.
        """
        if path not in self._checkpoints:
            with self.database.session() as session:
                row = session.get(CheckpointRow, path)
            if row is not None:
                settings = CheckpointSettings.model_validate(row.document)
            elif self.checkpoints_dir is not None and (self.checkpoints_dir / path).is_file():
                base_model = detect_base_model(self.checkpoints_dir / path)
                settings = CheckpointSettings(path=path, base_model=base_model)
            else:
                settings = CheckpointSettings(path=path)
            self._checkpoints[path] = settings
        return self._checkpoints[path]

    def wordlist(self, name: str) -> Sequence[str] | None:
        """The usable lines of the wordlist `name`, read once per instance (one request)."""
        if name not in self._wordlists:
            with self.database.session() as session:
                row = session.get(ResourceRow, (WORDLISTS, name))
                lines = row.document.get("lines") if row is not None else None
            self._wordlists[name] = None if lines is None else usable_lines(lines)
        return self._wordlists[name]

    def nsfw_ids(self, category: str) -> frozenset[str]:
        """The ids flagged NSFW in a category (or ``wordlists``), read once per instance."""
        if category not in self._nsfw_ids:
            with self.database.session() as session:
                found = session.execute(
                    select(ResourceRow.id).where(
                        ResourceRow.category == category, ResourceRow.is_nsfw.is_(True)
                    )
                ).scalars()
                self._nsfw_ids[category] = frozenset(found)
        return self._nsfw_ids[category]
