"""Importing a tag-autocomplete CSV into the vocabulary: one path for `gaze tags import`, the
Settings upload and ``POST /api/v1/tags/import``."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from gaze.db.connection import Database
from gaze.library.tag_csv import read_tag_csv
from gaze.library.tag_vocabulary import TagVocabulary

MAX_TAG_CSV_BYTES = 20 * 1024 * 1024
"""The largest uploaded CSV (Danbooru's full list with aliases is about 10 MB)."""


@dataclass(frozen=True)
class TagImport:
    stored: int
    """Tags now in the vocabulary: the file's plus those only the library uses."""
    from_file: int
    problems: list[str]
    """Bad lines, ``line N: reason``; they were skipped."""


def import_tag_lines(database: Database, lines: Iterable[str]) -> TagImport:
    """Replace the vocabulary with the CSV's tags (and the library's own)."""
    parsed = read_tag_csv(lines)
    stored = TagVocabulary(database).replace(parsed.tags)
    return TagImport(stored, len(parsed.tags), parsed.problems)


def import_tag_bytes(database: Database, data: bytes) -> TagImport:
    """`import_tag_lines` for an uploaded file (UTF-8, a byte order mark allowed)."""
    text = data.decode("utf-8-sig", errors="replace")
    return import_tag_lines(database, io.StringIO(text, newline=""))
