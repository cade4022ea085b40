"""The tag vocabulary: reading the A1111 CSV, importing it, and prefix search (SQLite and
PostgreSQL)."""

from __future__ import annotations

import random
import string
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from devkit.server import GAZE, gaze_env
from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import alembic_config, upgrade_to_head
from gaze.library import tag_index
from gaze.library.service import LibraryService
from gaze.library.tag_csv import VocabularyTag, read_tag_csv, tag_key
from gaze.library.tag_vocabulary import (
    TagMatch,
    TagVocabulary,
    bare_tag,
    prefix_key,
    prompt_tags,
)
from gaze.presets.usage import presets_using


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        opened = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
    else:
        context = scratch_postgres_database()
        opened = Database(context.__enter__())
        request.addfinalizer(lambda: context.__exit__(None, None, None))
    upgrade_to_head(opened.engine)
    yield opened
    opened.dispose()


def test_reader_takes_good_lines_and_reports_bad_ones_by_number() -> None:
    lines = [
        "name,category,post_count,aliases",
        'blonde_hair,0,5000,"blond hair,yellow hair"',
        "solo,0,9000",
        "",
        "bad,x,12",
        ',0,3,""',
        'broken,0,-4,""',
        "solo,0,1",
        "lonely",
    ]
    parsed = read_tag_csv(lines)
    assert parsed.tags == [
        VocabularyTag("blonde_hair", 0, 5000, ("blond hair", "yellow hair")),
        VocabularyTag("solo", 0, 9000),
        VocabularyTag("lonely", -1, 0),
    ]
    assert parsed.problems == [
        "line 5: category and post count must be whole numbers",
        "line 6: the tag name is empty",
        "line 7: the post count is negative",
        "line 8: 'solo' is listed twice",
    ]


def test_reader_without_a_header_and_with_an_unclosed_quote() -> None:
    parsed = read_tag_csv(["1girl,0,100", 'odd,0,1,"never closed'])
    assert [tag.name for tag in parsed.tags] == ["1girl", "odd"]
    assert parsed.tags[1].aliases == ("never closed",)
    assert parsed.problems == []


def test_weights_and_wildcards_are_understood() -> None:
    assert bare_tag("(blue eyes:1.2)") == "blue eyes"
    assert bare_tag("((smile))") == "smile"
    assert bare_tag("[red]") == "red"
    text = "(blue eyes:1.2), __hair__, {a|b}, smile"
    assert list(prompt_tags({"face": {"eyes": text}})) == ["blue eyes", "smile"]


def test_migration_adds_and_removes_the_tag_tables(database: Database) -> None:
    assert {"tags", "tag_aliases"} <= set(inspect(database.engine).get_table_names())
    command.downgrade(alembic_config(database.engine), "0003")
    assert "tags" not in inspect(database.engine).get_table_names()
    assert "tag_aliases" not in inspect(database.engine).get_table_names()
    upgrade_to_head(database.engine)
    assert TagVocabulary(database).count() == 0


def test_search_ranks_by_post_count_and_finds_aliases(database: Database) -> None:
    vocabulary = TagVocabulary(database)
    vocabulary.replace(
        [
            VocabularyTag("blonde_hair", 0, 5000, ("blond hair", "Blue-ish")),
            VocabularyTag("blue_eyes", 0, 8000),
            VocabularyTag("blue_sky", 0, 100),
            VocabularyTag("Blue_Archive", 3, 300),
            VocabularyTag("blush", 0, 7000),
        ]
    )
    assert [match.name for match in vocabulary.search("blue ", 20)] == [
        "blue_eyes",
        "Blue_Archive",
        "blue_sky",
    ]
    assert vocabulary.search("BLU", 3) == [
        TagMatch("blue_eyes", 0, 8000),
        TagMatch("blush", 0, 7000),
        TagMatch("Blue-ish", 0, 5000, alias_of="blonde_hair"),
    ]
    alias_match = TagMatch("blond hair", 0, 5000, alias_of="blonde_hair")
    assert vocabulary.search("blond_h", 20) == [alias_match]
    assert vocabulary.search("Blond H", 20) == [alias_match]
    assert vocabulary.search("blond", 20) == [TagMatch("blonde_hair", 0, 5000)]
    assert [match.name for match in vocabulary.search("B", 2)] == ["blue_eyes", "blush"]
    assert [match.name for match in vocabulary.search("bl", 6)][-1] == "blue_sky"
    assert [match.name for match in vocabulary.search("", 1)] == ["blue_eyes"]
    assert vocabulary.search("zzz", 20) == vocabulary.search("z", 20) == []
    assert vocabulary.lookup(["Blue Eyes", "blond hair", "nope"]) == {
        "blue_eyes": None,
        "blond_hair": "blonde_hair",
    }
    vocabulary.replace([VocabularyTag("solo", 0, 1)])
    assert vocabulary.count() == 1
    assert vocabulary.search("bl", 20) == []


def test_import_merges_the_tags_the_library_uses(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
    upgrade_to_head(database.engine)
    library = LibraryService(database, tmp_path / "uploads", outside_users=presets_using)
    library.create(
        "styles",
        {"id": "ink", "name": "Ink", "fields": {"look": {"main": "(ink wash:1.3), Solo"}}},
    )
    vocabulary = TagVocabulary(database)
    assert vocabulary.replace([VocabularyTag("solo", 0, 9000)]) == 2
    assert vocabulary.search("ink", 5) == [TagMatch("ink wash", -1, 0)]
    assert vocabulary.search("solo", 5) == [TagMatch("solo", 0, 9000)]
    database.dispose()


def generated_csv(path: Path, count: int) -> None:
    chooser = random.Random(16)
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            word = "".join(chooser.choices(string.ascii_lowercase, k=6))
            alias = f'"{word}-alias{index}"' if index % 10 == 0 else ""
            out.write(f"{word}_{index},{index % 5},{chooser.randint(0, 10**6)},{alias}\n")


def test_command_imports_a_200000_line_csv(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    csv_file = tmp_path / "tags.csv"
    generated_csv(csv_file, 200_000)
    with csv_file.open("a", encoding="utf-8") as out:
        out.write("bad,line,here\n")
    started = time.perf_counter()
    ran = subprocess.run(
        [GAZE, "tags", "import", str(csv_file), "--data-dir", str(data_dir)],
        env=gaze_env(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    print(f"gaze tags import of 200,000 lines: {time.perf_counter() - started:.2f} s")
    assert ran.returncode == 1, ran.stderr
    assert "line 200001: category and post count must be whole numbers" in ran.stderr
    assert "imported 200000 tags" in ran.stdout
    database = Database(f"sqlite:///{data_dir / 'gaze.db'}")
    assert TagVocabulary(database).count() == 200_000
    database.dispose()


def brute_force_search(tags: list[VocabularyTag], prefix: str, limit: int) -> list[TagMatch]:
    key = prefix_key(prefix)
    matches = [TagMatch(tag.name, tag.category, tag.post_count) for tag in tags]
    matches += [
        TagMatch(alias, tag.category, tag.post_count, alias_of=tag.name)
        for tag in tags
        for alias in tag.aliases
    ]
    found = sorted(
        (match for match in matches if tag_key(match.name).startswith(key)),
        key=lambda match: (-match.post_count, match.alias_of is not None, match.name),
    )
    chosen: dict[str, TagMatch] = {}
    for match in found:
        chosen.setdefault(match.alias_of or match.name, match)
    return list(chosen.values())[:limit]


def test_index_answers_like_a_full_scan(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
    upgrade_to_head(database.engine)
    chooser = random.Random(7)
    tags = [
        VocabularyTag(
            f"{''.join(chooser.choices('abc', k=chooser.randint(1, 5)))}_{index}",
            index % 4,
            chooser.randint(0, 50),
            (f"{''.join(chooser.choices('abc', k=3))} alias {index}",) if index % 3 == 0 else (),
        )
        for index in range(3000)
    ]
    tags += [VocabularyTag(f"crowded_tag_{index}", 0, index % 97) for index in range(1500)]
    echo = tuple(f"same alias {index}" for index in range(250))  # one tag's aliases fill a
    tags += [VocabularyTag("same_tag", 0, 10**6, echo), VocabularyTag("same_b", 0, 1)]  # top
    TagVocabulary(database).replace(tags)
    vocabulary = TagVocabulary(database)
    prefixes = ["", "a", "b ", "ab", "abc", "abca", "cc_1", "c alias", "zz"]
    prefixes += ["crowded", "crowded_tag_1", "crowded", "same", "sa", "s"]
    for prefix in prefixes:
        for limit in (1, 20, 100):
            assert vocabulary.search(prefix, limit) == brute_force_search(tags, prefix, limit)
    database.dispose()


def test_an_import_in_another_process_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tag_index, "VERSION_CHECK_SECONDS", 0.0)
    data_dir = tmp_path / "data"
    database = Database(f"sqlite:///{data_dir / 'gaze.db'}")
    upgrade_to_head(database.engine)
    vocabulary = TagVocabulary(database)
    vocabulary.replace([VocabularyTag("old_tag", 0, 5)])
    assert vocabulary.search("old", 5) == [TagMatch("old_tag", 0, 5)]
    csv_file = tmp_path / "tags.csv"
    csv_file.write_text("new_tag,1,7\n", encoding="utf-8")
    subprocess.run(
        [GAZE, "tags", "import", str(csv_file), "--data-dir", str(data_dir)],
        env=gaze_env(data_dir),
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert vocabulary.search("old", 5) == []
    assert vocabulary.search("new", 5) == [TagMatch("new_tag", 1, 7)]
    database.dispose()
