"""Moving a library between the database and a folder of JSON files (`gaze library import`
and `gaze library export`), in the layout `gaze.folders.files` reads and writes: resources,
checkpoint settings, presets and wordlists.

Import upserts by id: a file replaces the stored document of the same id. A file is not
imported when it is invalid (see `read_library_folder`) or when its slug is already the slug
of another id in the database. References to items neither the folder nor the database has
are reported as warnings after the import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import CheckpointRow, PresetRow, ResourceRow, utcnow
from gaze.folders.files import (
    FileProblem,
    LibraryImport,
    LibraryItem,
    kind_of,
    read_library_folder,
    reference_problems,
    write_library_folder,
)
from gaze.library.database_view import DatabaseLibrary
from gaze.library.fields import describe_errors
from gaze.library.schema import CATEGORIES, CheckpointSettings, Resource, resource_model_for
from gaze.library.store import sync_card, upsert_checkpoint, upsert_resource
from gaze.library.wordlist_schema import WORDLISTS, Wordlist
from gaze.presets.schema import Preset
from gaze.presets.store import upsert_preset


@dataclass
class FolderImport:
    """What `import_library_folder` did."""

    resources: int = 0
    checkpoints: int = 0
    presets: int = 0
    wordlists: int = 0
    errors: list[FileProblem] = field(default_factory=list)
    """Files not imported, each with why."""
    warnings: list[FileProblem] = field(default_factory=list)
    """Imported files naming something the library still lacks."""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class FolderExport:
    """What `export_library_folder` wrote."""

    resources: int = 0
    checkpoints: int = 0
    presets: int = 0
    wordlists: int = 0
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Stored documents that are no longer valid, each with why; not written."""


def _slug_holders(session: Session, report: LibraryImport) -> list[FileProblem]:
    """Files whose slug belongs to another id in the database."""
    problems = []
    stored: list[tuple[str, Resource | Wordlist]] = [
        (category, resource) for category in CATEGORIES for resource in report.resources[category]
    ]
    stored.extend((WORDLISTS, wordlist) for wordlist in report.wordlists)
    for category, resource in stored:
        holder = session.execute(
            select(ResourceRow.id).where(
                ResourceRow.category == category,
                ResourceRow.slug == resource.slug,
                ResourceRow.id != resource.id,
            )
        ).scalar()
        if holder is not None:
            problems.append(
                FileProblem(
                    report.sources[(category, resource.id)],
                    f"slug {resource.slug!r} of id {resource.id!r} is already the slug of "
                    f"id {holder!r} in the database",
                )
            )
    for preset in report.presets:
        holder = session.execute(
            select(PresetRow.id).where(PresetRow.slug == preset.slug, PresetRow.id != preset.id)
        ).scalar()
        if holder is not None:
            problems.append(
                FileProblem(
                    report.sources[("presets", preset.id)],
                    f"slug {preset.slug!r} of id {preset.id!r} is already the slug of preset "
                    f"{holder!r} in the database",
                )
            )
    return problems


def import_library_folder(
    database: Database, folder: str | os.PathLike[str], checkpoints_dir: Path | None = None
) -> FolderImport:
    """Import every valid file of a library folder; see the module docstring. Raises
    NotADirectoryError when `folder` is not a folder."""
    report = read_library_folder(folder)
    outcome = FolderImport(errors=list(report.errors))
    with database.session() as session:
        refused = _slug_holders(session, report)
        outcome.errors.extend(refused)
        refused_files = {problem.path for problem in refused}
        for category in CATEGORIES:
            for resource in report.resources[category]:
                if report.sources[(category, resource.id)] not in refused_files:
                    upsert_resource(session, resource)
                    outcome.resources += 1
        for settings in report.checkpoints:
            upsert_checkpoint(session, settings)
            outcome.checkpoints += 1
        for preset in report.presets:
            if report.sources[("presets", preset.id)] not in refused_files:
                upsert_preset(session, preset)
                outcome.presets += 1
        for wordlist in report.wordlists:
            if report.sources[(WORDLISTS, wordlist.id)] not in refused_files:
                upsert_wordlist(session, wordlist)
                outcome.wordlists += 1
    outcome.errors.sort(key=lambda problem: problem.path)
    library = DatabaseLibrary(database, checkpoints_dir)
    outcome.warnings = [
        problem
        for problem in reference_problems(report, library)
        if problem.path not in refused_files
    ]
    return outcome


def upsert_wordlist(session: Session, wordlist: Wordlist) -> ResourceRow:
    """Store a wordlist, replacing the one of the same id."""
    row = session.get(ResourceRow, (WORDLISTS, wordlist.id))
    if row is None:
        row = ResourceRow(category=WORDLISTS, id=wordlist.id, created_at=utcnow())
        session.add(row)
    sync_card(row, wordlist)
    return row


def _valid(
    label: str, model: type[LibraryItem], document: dict[str, Any], skipped: list[str]
) -> LibraryItem | None:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        skipped.append(f"{label}: " + "; ".join(describe_errors(error)))
        return None


def _stored_items(database: Database, skipped: list[str]) -> list[LibraryItem]:
    """Every stored resource, checkpoint's settings, preset and wordlist still valid."""
    items: list[LibraryItem | None] = []
    with database.session() as session:
        for row in session.execute(
            select(ResourceRow.category, ResourceRow.id, ResourceRow.document).order_by(
                ResourceRow.category, ResourceRow.id
            )
        ):
            label = f"{row.category} {row.id!r}"
            if row.category == WORDLISTS:
                items.append(_valid(label, Wordlist, row.document, skipped))
                continue
            if row.category not in CATEGORIES:
                skipped.append(f"{label}: unknown category")
                continue
            model = resource_model_for(row.category)
            items.append(_valid(label, model, row.document, skipped))
        for row in session.execute(
            select(CheckpointRow.path, CheckpointRow.document).order_by(CheckpointRow.path)
        ):
            label = f"checkpoint {row.path!r}"
            items.append(_valid(label, CheckpointSettings, row.document, skipped))
        for row in session.execute(select(PresetRow.id, PresetRow.document).order_by(PresetRow.id)):
            items.append(_valid(f"preset {row.id!r}", Preset, row.document, skipped))
    return [item for item in items if item is not None]


def export_library_folder(
    database: Database, folder: str | os.PathLike[str], *, prune: bool = False
) -> FolderExport:
    """Write every stored resource, checkpoint's settings, preset and wordlist to a library folder
    (created if needed). With `prune`, other JSON files in its kind folders are deleted, so
    the folder holds exactly the library."""
    outcome = FolderExport()
    items = _stored_items(database, outcome.skipped)
    outcome.files = write_library_folder(folder, items, prune=prune)
    for item in items:
        kind = kind_of(item)
        if kind == "presets":
            outcome.presets += 1
        elif kind == "checkpoints":
            outcome.checkpoints += 1
        elif kind == WORDLISTS:
            outcome.wordlists += 1
        else:
            outcome.resources += 1
    return outcome
