"""Save-time tag warnings against a real SQLite vocabulary."""

from __future__ import annotations

from pathlib import Path

from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.library.tag_csv import VocabularyTag
from gaze.library.tag_vocabulary import TagVocabulary
from gaze.library.tag_warnings import tag_warnings

DOCUMENT = {
    "id": "nova",
    "identity": {"hair": "(blond hair:1.2), Blue Eyes, __hair__, {a|b}"},
    "fields": {"look": {"main": ["xyz", "solo"]}},
}


def test_aliases_and_unknown_tags_are_reported_only_with_a_vocabulary(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
    upgrade_to_head(database.engine)
    vocabulary = TagVocabulary(database)
    assert tag_warnings(DOCUMENT, vocabulary) == []
    vocabulary.replace(
        [
            VocabularyTag("blonde_hair", 0, 10, ("blond hair",)),
            VocabularyTag("blue_eyes", 0, 10),
            VocabularyTag("solo", 0, 10),
        ]
    )
    assert tag_warnings(DOCUMENT, vocabulary) == [
        "fields.identity.hair: 'blond hair' is an alias of 'blonde_hair'",
        "fields.look.main: unknown tag 'xyz'",
    ]
    database.dispose()
