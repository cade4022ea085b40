"""Wordlists in the library: stored beside resources, read by both library views, and
picked from by wildcards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gaze.db.connection import Database
from gaze.library.database_view import DatabaseLibrary
from gaze.library.schema import CATEGORIES, PROMPT_ORDER
from gaze.library.service import LibraryService
from gaze.library.view import InMemoryLibrary
from gaze.library.wordlist_schema import Wordlist
from gaze.presets.usage import presets_using
from gaze.prompts.wildcards import expand_wildcards
from gaze.service_errors import Conflict, Invalid


@pytest.fixture
def database(fresh_data: Path) -> Iterator[Database]:
    opened = Database(f"sqlite:///{fresh_data / 'gaze.db'}")
    yield opened
    opened.dispose()


@pytest.fixture
def library(database: Database, fresh_data: Path) -> LibraryService:
    return LibraryService(database, fresh_data / "uploads", outside_users=presets_using)


def test_wordlists_are_no_category_and_no_preset_slot() -> None:
    assert "wordlists" not in CATEGORIES
    assert "wordlists" not in PROMPT_ORDER


def test_the_database_view_reads_usable_lines_once(
    library: LibraryService, database: Database
) -> None:
    library.wordlists().create(
        {"id": "moods", "name": "Moods", "lines": ["# moods", "calm", "", "  stormy  "]}
    )
    view = DatabaseLibrary(database)
    assert view.wordlist("moods") == ("calm", "stormy")
    assert view.wordlist("missing") is None
    library.wordlists().delete("moods")
    assert view.wordlist("moods") == ("calm", "stormy"), "memoised for the request"
    assert DatabaseLibrary(database).wordlist("moods") is None


def test_the_in_memory_view_and_wildcards(library: LibraryService) -> None:
    view = InMemoryLibrary(
        wordlists=[
            Wordlist(id="colors/warm", name="Warm", lines=["amber", "# no", "crimson"]),
            Wordlist(id="dress", name="Dress", lines=["__colors/warm__ gown"]),
        ]
    )
    texts = {expand_wildcards("__dress__", seed, "w", view.wordlist).text for seed in range(50)}
    assert texts == {"amber gown", "crimson gown"}


def test_listing_every_category_leaves_wordlists_out(library: LibraryService) -> None:
    library.wordlists().create({"id": "zz_words", "name": "ZZ words", "lines": ["a"]})
    everything = library.list(None, limit=None).items
    assert all(item["category"] in CATEGORIES for item in everything)
    assert [item["id"] for item in library.wordlists().list(q="zz_words").items] == ["zz_words"]


def test_import_text_creates_then_replaces_lines(library: LibraryService) -> None:
    saved, created = library.wordlists().import_text("fruit", b"apple\nbanana\n", "Fruit")
    assert created and saved["lines"] == ["apple", "banana"] and saved["name"] == "Fruit"
    saved, created = library.wordlists().import_text("fruit", b"cherry")
    assert not created and saved == {**saved, "name": "Fruit", "lines": ["cherry"]}
    with pytest.raises(Invalid, match="not UTF-8"):
        library.wordlists().import_text("fruit", b"\xff")


def test_limits_and_conflicts(library: LibraryService) -> None:
    with pytest.raises(Invalid, match="lines: has 100001 lines; the limit is 100000"):
        library.wordlists().create({"id": "big", "name": "Big", "lines": ["a"] * 100_001})
    library.wordlists().create({"id": "a/b", "name": "AB"})
    with pytest.raises(Conflict, match="slug 'a__b'"):
        library.wordlists().create({"id": "a__b", "name": "Clash"})
