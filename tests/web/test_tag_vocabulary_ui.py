"""The tag vocabulary in the UI: the library editor warns about aliases and unknown tags
after a save, prompt fields complete tags, and Settings imports a tag CSV."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
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


def test_the_tag_under_the_caret_is_found_inside_weights_and_wildcards(page: Page) -> None:
    page.goto("/library/styles/new")
    cases = {
        "1girl, blu": {"start": 7, "end": 10, "query": "blu"},
        "(blue e": {"start": 1, "end": 7, "query": "blue e"},
        "[smi": {"start": 1, "end": 4, "query": "smi"},
        "{red|gre": {"start": 5, "end": 8, "query": "gre"},
        "watercolor \\(med": {"start": 0, "end": 16, "query": "watercolor (med"},
        "(blue eyes:1.": None,
        "__hai": None,
        "<lora:ink": None,
        "{2$$a": None,
        "a, ": None,
        "top: white bl": {"start": 5, "end": 13, "query": "white bl"},
        "(blue eyes: 1.": None,
    }
    for text, expected in cases.items():
        found = page.evaluate("(text) => GAZE_TAGS.tagAt(text, text.length)", text)
        assert found == expected, text
    inside = page.evaluate("GAZE_TAGS.tagAt('x, (blu eyes:1.2), y', 7)")
    assert inside == {"start": 4, "end": 12, "query": "blu"}
    assert page.evaluate("GAZE_TAGS.written('watercolor_(medium)')") == "watercolor \\(medium\\)"
    assert page.evaluate("GAZE_TAGS.written('^_^')") == "^_^"


def test_a_prompt_field_completes_tags_ranked_by_post_count(page: Page) -> None:
    page.goto("/library/styles/new")
    field = page.locator('textarea[name$=".value"]').first
    field.fill("1girl, (:1.2)")
    field.evaluate("(element) => element.setSelectionRange(8, 8)")
    page.keyboard.type("blu")
    suggestions = page.locator("[data-tag-suggestions] .tc-name")
    expect(suggestions.nth(2)).to_be_visible()
    ranked = suggestions.all_inner_texts()
    assert ranked[:3] == ["blue eyes", "blush", "blue sky"]  # then the library's own tags
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(field).to_have_value("1girl, (blush:1.2)")
    expect(page.locator("[data-tag-suggestions]")).to_have_count(0)
    field.press("End")
    page.keyboard.type(", blond h")
    expect(suggestions).to_have_text(["blond hair → blonde hair"])
    page.keyboard.press("Tab")
    expect(field).to_have_value("1girl, (blush:1.2), blonde hair, ")
    page.keyboard.type("bl")
    expect(suggestions.first).to_have_text("blue eyes")
    page.keyboard.press("Escape")
    expect(page.locator("[data-tag-suggestions]")).to_have_count(0)
    expect(field).to_have_value("1girl, (blush:1.2), blonde hair, bl")


def test_the_generator_prompt_completes_tags_too(page: Page) -> None:
    page.goto("/generator")
    field = page.locator('textarea[name="positive"]')
    field.click()
    page.keyboard.type("blue s")
    expect(page.locator("[data-tag-suggestions] .tc-name").first).to_have_text("blue sky")
    page.keyboard.press("Enter")
    expect(field).to_have_value("blue sky, ")


def test_the_completion_route_names_a_bad_limit(ui_server: GazeServer) -> None:
    answer = httpx.get(
        f"{ui_server.url}/ui/tags",
        params={"prefix": "bl", "limit": "0"},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_tag_query"
    assert "limit" in answer.json()["error"]
    found = httpx.get(f"{ui_server.url}/ui/tags", params={"prefix": "BLUE_"}, timeout=30)
    assert [tag["name"] for tag in found.json()["tags"]][:2] == ["blue_eyes", "blue_sky"]


def test_settings_imports_an_uploaded_tag_csv(page: Page, ui_server: GazeServer) -> None:
    page.goto("/settings#tags")
    expect(page.locator("[data-tag-count]")).to_contain_text("tags")
    lines = ["name,category,post_count,aliases", 'silver_hair,0,900,"grey hair,gray hair"']
    lines += [f"upload_tag_{index},1,{index}," for index in range(50)] + ["broken,x,1"]
    page.set_input_files(
        'input[name="file"]',
        files=[
            {
                "name": "mine.csv",
                "mimeType": "text/csv",
                "buffer": "\n".join(lines).encode(),
            }
        ],
    )
    page.click("[data-import-tags]")
    notice = page.locator("[data-notice].warning")
    expect(notice).to_contain_text("Imported 51 tags from mine.csv and")
    expect(notice).to_contain_text("Skipped 1 bad lines: line 53: category and post count")
    found = httpx.get(f"{ui_server.url}/ui/tags", params={"prefix": "grey"}, timeout=30)
    assert found.json()["tags"] == [
        {"name": "grey hair", "category": 0, "post_count": 900, "alias_of": "silver_hair"}
    ]
    replaced = httpx.get(f"{ui_server.url}/ui/tags", params={"prefix": "blue_e"}, timeout=30)
    assert all(tag["category"] == -1 for tag in replaced.json()["tags"])  # the library's own
    page.set_input_files(
        'input[name="file"]', files=[{"name": "empty.csv", "mimeType": "text/csv", "buffer": b""}]
    )
    page.click("[data-import-tags]")
    expect(page.locator("[data-notice].error")).to_contain_text("Choose a tag CSV file first")


def test_the_settings_upload_needs_the_csrf_token(ui_server: GazeServer) -> None:
    answer = httpx.post(
        f"{ui_server.url}/settings/tags",
        files={"file": ("x.csv", b"solo,0,1\n", "text/csv")},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 403, answer.text
