"""The tag vocabulary in the UI: the library editor warns about aliases and unknown tags
after a save, prompt fields complete tags, and Settings imports a tag CSV."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.library.tag_csv import VocabularyTag
from gaze.library.tag_vocabulary import TagVocabulary


@pytest.fixture(scope="module", autouse=True)
def vocabulary(ui_server: GazeServer) -> Iterator[None]:
    database = Database(f"sqlite:///{ui_server.data_dir / 'gaze.db'}")
    TagVocabulary(database).replace(
        [
            VocabularyTag("blonde_hair", 0, 5000, ("blond hair",)),
            VocabularyTag("blue_eyes", 0, 8000),
            VocabularyTag("blue_sky", 0, 100),
            VocabularyTag("blush", 0, 7000),
        ]
    )
    yield
    database.dispose()


def test_the_editor_warns_about_aliases_and_unknown_tags_after_a_save(page: Page) -> None:
    page.goto("/library/styles/new")
    page.fill("[data-name]", "Warned Style")
    field = page.locator('textarea[name$=".value"]').first
    text = "(blond hair:1.2), blue eyes, blu skyy, __hair__"
    field.fill(text)
    page.click("[data-save]")
    notice = page.locator("[data-notice].warning")
    expect(notice).to_contain_text("Created Warned Style, but:")
    expect(notice).to_contain_text("'blond hair' is an alias of 'blonde_hair'")
    expect(notice).to_contain_text("unknown tag 'blu skyy'")
    expect(notice).not_to_contain_text("blue eyes")
    expect(page.locator('textarea[name$=".value"]').first).to_have_value(text)
