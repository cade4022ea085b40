"""The "Draft with AI" panel of the new-resource editor, in chromium against a server whose
GAZE_LLM_URL is the stand-in: a description becomes a filled editor (unknown tags flagged),
which saves only when the person saves it; without an LLM the panel is not there."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.library.tag_csv import VocabularyTag
from gaze.library.tag_vocabulary import TagVocabulary
from tests.llm_standin.fixtures import llm_server, llm_standin
from tests.llm_standin.server import LlmStandIn
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

__all__ = ["llm_server", "llm_standin"]

DRAFT = {
    "id": "rosa_knight",
    "name": "Rosa Knight",
    "description": "A cheerful knight.",
    "identity": {"base": "1girl, solo", "hair": "red hair, glimmerplait"},
    "fields": {"armour": {"plate": "silver armor, cape"}},
    "default_fields": ["identity::base", "identity::hair"],
    "tags": {"origin": "drafted"},
}


@pytest.fixture(scope="module")
def ui_server(gaze_servers: GazeServers, llm_server: LlmStandIn) -> Iterator[GazeServer]:
    """This module's `gaze serve`, drafting with the stand-in LLM."""
    env = {**SHARED_SERVER_ENV, "GAZE_LLM_URL": llm_server.url, "GAZE_LLM_MODEL": "standin-model"}
    with gaze_servers.running(name="ui-drafts", env=env) as running:
        database = Database(f"sqlite:///{running.data_dir / 'gaze.db'}")
        TagVocabulary(database).replace(
            [VocabularyTag("red_hair", 0, 5000), VocabularyTag("glimmering", 0, 50)]
        )
        database.dispose()
        yield running


def test_a_description_fills_the_editor_and_saving_accepts_it(
    page: Page, ui_server: GazeServer, llm_standin: LlmStandIn
) -> None:
    llm_standin.script.chunk_size = 8
    llm_standin.script.chunk_delay_seconds = 0.02
    llm_standin.script.answers.append(json.dumps(DRAFT))
    page.goto("/library/characters/new")

    panel = page.locator("[data-draft-panel]")
    panel.locator("[data-draft-description]").fill("a cheerful red-haired knight")
    panel.locator("[data-draft-button]").click()

    page.wait_for_url("**/library/characters/new/draft/*")
    expect(page.locator("[data-name]")).to_have_value("Rosa Knight")
    expect(page.locator("[data-id]")).to_have_value("rosa_knight")
    expect(page.locator("textarea", has_text="red hair, glimmerplait")).to_have_count(1)
    expect(page.locator("textarea", has_text="silver armor, cape")).to_have_count(1)
    expect(page.locator("[data-draft-note]")).to_contain_text("Nothing is saved")
    expect(page.locator("[data-draft-flags]")).to_contain_text(
        "Unknown tag glimmerplait — perhaps glimmering"
    )
    sent = llm_standin.script.completion_requests()[0]["messages"][1]["content"]
    assert "a cheerful red-haired knight" in sent
    stored = httpx.get(
        f"{ui_server.url}/api/v1/characters/rosa_knight", headers=ui_server.headers, timeout=30
    )
    assert stored.status_code == 404, "a draft is not saved before the person saves it"

    page.click("[data-save]")

    expect(page.locator("[data-notice]")).to_contain_text("Created Rosa Knight")
    saved = httpx.get(
        f"{ui_server.url}/api/v1/characters/rosa_knight", headers=ui_server.headers, timeout=30
    ).json()
    assert saved["identity"]["hair"] == "red hair, glimmerplait"
    assert saved["fields"]["armour"]["plate"] == "silver armor, cape"


def test_field_tools_suggest_tags_and_improve_the_field_in_focus(
    page: Page, llm_standin: LlmStandIn
) -> None:
    llm_standin.script.answers.extend(
        [
            json.dumps({"tags": ["Short Hair", "messy hair", "ahoge"]}),
            json.dumps({"text": "red hair, short messy hair"}),
        ]
    )
    page.goto("/library/characters/mira_holt")
    panel = page.locator("[data-draft-panel]")
    tags_button = panel.locator('[data-draft-tool="tags"]')
    expect(tags_button).to_be_disabled()
    hair = page.locator('textarea[name$=".value"]', has_text="red hair, short hair")

    hair.click()
    expect(panel.locator("[data-draft-field]")).to_have_text("identity::hair")
    tags_button.click()

    expect(hair).to_have_value("red hair, short hair, messy hair, ahoge")
    expect(panel.locator("[data-draft-tool-status]")).to_contain_text("Done")
    sent = llm_standin.script.completion_requests()[0]["messages"][1]["content"]
    assert "'identity::hair'" in sent and "red hair, short hair" in sent

    panel.locator('[data-draft-tool="improve"]').click()

    expect(hair).to_have_value("red hair, short messy hair")
    stored = page.request.get("/api/v1/characters/mira_holt")
    assert "messy" not in stored.text(), "a field tool changes the form, not the library"


def test_a_resources_page_drafts_a_new_one_from_it(page: Page, llm_standin: LlmStandIn) -> None:
    llm_standin.script.answers.append(
        json.dumps({**DRAFT, "id": "aria_knight", "name": "Aria Knight", "default_fields": []})
    )
    page.goto("/library/characters/aria_vale")

    page.locator("[data-draft-description]").fill("Aria as a knight")
    page.locator("[data-draft-button]").click()

    page.wait_for_url("**/library/characters/new/draft/*")
    expect(page.locator("[data-name]")).to_have_value("Aria Knight")
    sent = llm_standin.script.completion_requests()[0]["messages"][1]["content"]
    assert "Aria as a knight" in sent and "amber eyes" in sent
    expect(page.locator('[data-wardrobe-row] input[value="travel"]')).to_have_count(1)


def test_the_queue_lists_draft_jobs_by_their_label(page: Page) -> None:
    page.goto("/queue")

    drafted = page.locator("li.job", has_text="AI draft: character").first
    expect(drafted).to_contain_text("on llm:standin-model")
    expect(drafted.locator("[data-seed]")).to_have_count(0)
    expect(drafted.locator("img")).to_have_count(0)


def test_a_failed_draft_says_why_in_the_panel(page: Page, llm_standin: LlmStandIn) -> None:
    llm_standin.script.default_answer = "Sorry, I only write poems."
    page.goto("/library/styles/new")

    page.locator("[data-draft-description]").fill("ink wash")
    page.locator("[data-draft-button]").click()

    expect(page.locator("[data-draft-status]")).to_contain_text("the answer is not JSON")
    expect(page.locator("[data-draft-button]")).to_be_enabled()


def test_without_an_llm_there_is_no_panel(browser: Browser, server: GazeServer) -> None:
    context = browser.new_context(base_url=server.url)
    try:
        opened = context.new_page()
        opened.goto("/library/characters/new")
        expect(opened.locator("[data-name]")).to_be_visible()
        expect(opened.locator("[data-draft-panel]")).to_have_count(0)
    finally:
        context.close()
