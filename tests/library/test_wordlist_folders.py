"""Wordlists in library folders: read and written as ``wordlists/<slug>.json``, moved between
the database and a folder, and shipped with the example library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gaze.db.connection import Database
from gaze.examples import example_library_path
from gaze.folders.files import read_library_folder, write_library_folder
from gaze.folders.transfer import export_library_folder, import_library_folder
from gaze.library.database_view import DatabaseLibrary
from gaze.library.service import LibraryService
from gaze.library.wordlist_schema import Wordlist
from gaze.presets.usage import presets_using
from gaze.prompts.wildcards import expand_wildcards


@pytest.fixture
def database(fresh_data: Path) -> Iterator[Database]:
    opened = Database(f"sqlite:///{fresh_data / 'gaze.db'}")
    yield opened
    opened.dispose()


@pytest.fixture
def library(database: Database, fresh_data: Path) -> LibraryService:
    return LibraryService(database, fresh_data / "uploads", outside_users=presets_using)


def test_the_example_library_ships_three_wordlists() -> None:
    report = read_library_folder(example_library_path())
    assert report.errors == [] and report.warnings == []
    by_id = {wordlist.id: wordlist for wordlist in report.wordlists}
    assert sorted(by_id) == ["colors", "hair_styles", "weather"]
    assert len(by_id["colors"].usable_lines()) == 30
    assert len(by_id["hair_styles"].usable_lines()) == 25
    assert len(by_id["weather"].usable_lines()) == 15
    assert all(wordlist in report.items() for wordlist in report.wordlists)
    picked = expand_wildcards("__colors__ hair, __weather__", 7, "s", report.library().wordlist)
    color, weather = picked.text.split(" hair, ")
    assert color in by_id["colors"].lines and weather in by_id["weather"].lines


def test_a_wordlist_with_folders_in_its_id_round_trips_through_a_folder(tmp_path: Path) -> None:
    warm = Wordlist(id="colors/warm", name="Warm", lines=["red", "# hot", "{orange|amber}"])
    plain = Wordlist(id="moods", name="Moods", description="How it feels", lines=["calm"])
    written = write_library_folder(tmp_path, [warm, plain])
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == [
        "wordlists/colors__warm.json",
        "wordlists/moods.json",
    ]
    stored = json.loads((tmp_path / "wordlists/colors__warm.json").read_text())
    assert stored["id"] == "colors/warm" and stored["slug"] == "colors__warm"
    report = read_library_folder(tmp_path)
    assert report.errors == []
    assert report.wordlists == [warm, plain]
    assert report.sources[("wordlists", "colors/warm")] == "wordlists/colors__warm.json"


def test_a_bad_wordlist_file_is_reported_and_the_rest_imported(tmp_path: Path) -> None:
    folder = tmp_path / "wordlists"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps({"id": "good", "name": "G", "lines": ["a"]}))
    (folder / "bad.json").write_text(json.dumps({"id": "bad id", "name": "B", "lines": ["a"]}))
    report = read_library_folder(tmp_path)
    assert [wordlist.id for wordlist in report.wordlists] == ["good"]
    [problem] = report.errors
    assert problem.path == "wordlists/bad.json"
    assert problem.reason.startswith("not a valid wordlist: ")


def test_wordlists_go_from_the_database_to_a_folder_and_back(
    library: LibraryService, database: Database, tmp_path: Path
) -> None:
    wordlists = library.wordlists()
    examples = len(wordlists.list(limit=None).items)  # a prepared folder has the examples
    wordlists.create({"id": "colors/warm", "name": "Warm", "lines": ["red", "amber"]})
    wordlists.create({"id": "animals", "name": "Animals", "lines": ["cat", "# not this"]})
    exported = export_library_folder(database, tmp_path / "out")
    assert exported.wordlists == examples + 2 and exported.skipped == []
    assert (tmp_path / "out/wordlists/colors__warm.json").is_file()

    wordlists.delete("animals")
    wordlists.replace("colors/warm", {"name": "Changed", "lines": ["blue"]})
    imported = import_library_folder(database, tmp_path / "out")
    assert imported.ok and imported.wordlists == examples + 2
    assert wordlists.get("colors/warm") is not None
    assert wordlists.get("colors/warm")["lines"] == ["red", "amber"]  # type: ignore[index]
    assert DatabaseLibrary(database).wordlist("animals") == ("cat",)


def test_an_imported_wordlist_whose_slug_another_id_holds_is_refused(
    library: LibraryService, database: Database, tmp_path: Path
) -> None:
    library.wordlists().create({"id": "colors__warm", "name": "Flat", "lines": ["x"]})
    write_library_folder(tmp_path, [Wordlist(id="colors/warm", name="Nested", lines=["y"])])
    imported = import_library_folder(database, tmp_path)
    assert imported.wordlists == 0
    [problem] = imported.errors
    assert problem.path == "wordlists/colors__warm.json"
    assert "already the slug of id 'colors__warm'" in problem.reason
