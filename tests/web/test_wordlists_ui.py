"""The library's wordlist pages and the wildcard highlighting of prompt fields, in chromium,
plus the preview endpoint the highlighting asks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from gaze.library.wordlist_schema import MAX_WORDLIST_BYTES
from gaze.prompts.wildcards import expand_wildcards


@contextmanager
def ui_client(server: GazeServer) -> Iterator[tuple[httpx.Client, str]]:
    """A client holding the UI's CSRF cookie, and the token to send back."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.get("/library/wordlists").raise_for_status()
        yield client, client.cookies["gaze_csrf"]


def create_wordlist(server: GazeServer, wordlist_id: str, lines: list[str]) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/wordlists",
        json={"id": wordlist_id, "name": wordlist_id.title(), "lines": lines},
        headers=server.headers,
    )
    assert response.status_code == 201, response.text


def test_create_edit_upload_and_delete_a_wordlist(page: Page, tmp_path: Path) -> None:
    page.goto("/library/wordlists/new")
    page.fill('input[name="id"]', "fruit/tropical")
    page.fill('input[name="name"]', "Tropical fruit")
    page.fill('textarea[name="lines"]', "mango\n# not picked\n\npapaya\n{lime|lemon}")
    page.click("text=Create wordlist")
    page.wait_for_url("**/library/wordlists/fruit__tropical")
    expect(page.locator("[data-notice]")).to_contain_text("Created Tropical fruit")
    expect(page.locator("[data-line-total]")).to_have_text("3")
    expect(page.locator("main")).to_contain_text("__fruit/tropical__")

    page.fill('input[name="name"]', "Tropical")
    page.fill('textarea[name="description"]', "Sunny fruit")
    page.fill('textarea[name="lines"]', "mango\npapaya\nguava\npineapple")
    page.click("text=Save")
    expect(page.locator("[data-notice]")).to_contain_text("Saved Tropical")
    expect(page.locator("[data-line-total]")).to_have_text("4")
    expect(page.locator('textarea[name="lines"]')).to_have_value("mango\npapaya\nguava\npineapple")

    upload = tmp_path / "fruit.txt"
    upload.write_bytes("\ufeffkiwi\r\nlychee  \r\n# c\r\n".encode())
    page.set_input_files("[data-wordlist-upload] input[type=file]", str(upload))
    page.click("[data-wordlist-upload] button")
    expect(page.locator("[data-notice]")).to_contain_text("fruit.txt: 2 lines")
    expect(page.locator('textarea[name="lines"]')).to_have_value("kiwi\nlychee\n# c")

    page.goto("/library/wordlists?q=tropical")
    row = page.locator('[data-wordlist="fruit/tropical"]')
    expect(row.locator("[data-line-count]")).to_have_text("2")
    expect(page.locator("[data-wordlist]")).to_have_count(1)
    row.locator("a").click()
    page.wait_for_url("**/library/wordlists/fruit__tropical")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/delete'] button")
    page.wait_for_url("**/library/wordlists")
    expect(page.locator("[data-notice]")).to_contain_text("Deleted the wordlist Tropical")
    expect(page.locator('[data-wordlist="fruit/tropical"]')).to_have_count(0)


def test_the_library_menu_links_to_the_wordlists(page: Page) -> None:
    page.goto("/library/characters")
    page.locator("details.menu summary", has_text="Library").click()
    page.click(".menu-list >> text=Wordlists")
    page.wait_for_url("**/library/wordlists")
    expect(page.locator("h1")).to_have_text("Wordlists")


def test_a_refused_wordlist_keeps_the_form_and_says_why(page: Page) -> None:
    page.goto("/library/wordlists/new")
    page.fill('input[name="id"]', "fine_id")
    page.fill('textarea[name="lines"]', "x" * 600)
    page.click("text=Create wordlist")
    expect(page.locator("[data-problems]")).to_contain_text("line 1 is 600 characters long")
    expect(page.locator('input[name="id"]')).to_have_value("fine_id")


def test_the_preset_editor_highlights_wildcards_and_previews_them(
    page: Page, ui_server: GazeServer
) -> None:
    create_wordlist(ui_server, "hues", ["teal", "ochre", "# no"])
    page.goto("/presets/example_01/edit")
    positive = page.locator('textarea[name="positive"]')
    positive.fill("masterpiece, {red|blue} sky, __hues__ light")
    preview = page.locator('textarea[name="positive"] >> xpath=../following-sibling::*[1]')
    expect(preview).to_contain_text(re.compile(r"with seed \d+: masterpiece, (red|blue) sky"))
    expect(preview).to_contain_text(re.compile(r"(teal|ochre) light"))
    backdrop = page.locator(".wc-backdrop", has=page.locator("mark.wc-wordlist"))
    expect(backdrop.locator("mark.wc-wordlist")).to_have_text("__hues__")
    expect(backdrop.locator("mark.wc-brace")).to_have_count(2)
    expect(backdrop.locator("mark.wc-separator")).to_have_text("|")

    seed = int(re.search(r"with seed (\d+)", preview.inner_text()).group(1))  # type: ignore[union-attr]
    lookup = {"hues": ("teal", "ochre")}.get
    expected = expand_wildcards(
        "masterpiece, {red|blue} sky, __hues__ light", seed, "wildcards:positive", lookup
    )
    expect(preview.locator(".wc-expanded")).to_have_text(expected.text)

    positive.fill("broken {red|blue sky, __nowhere__")
    expect(preview).to_have_class(re.compile("wc-error"))
    expect(preview).to_contain_text("unclosed '{' at character 8")
    expect(page.locator(".wc-backdrop mark.wc-error")).to_have_text("{")
    positive.fill("{a|b} __nowhere__")
    expect(preview).to_contain_text("unknown wordlist 'nowhere'")

    positive.fill("plain words only")
    expect(preview).to_be_hidden()
    # the field still saves as a plain textarea
    page.click("[data-save]")
    page.wait_for_url(re.compile(r".*/presets/example_01(\?.*)?$"))


def test_the_preview_endpoint_answers_spans_text_and_errors(ui_server: GazeServer) -> None:
    create_wordlist(ui_server, "metals", ["gold", "silver"])
    with ui_client(ui_server) as (client, token):
        headers = {"X-CSRF-Token": token}
        answer = client.post(
            "/ui/wildcards/preview",
            json={"text": "{2$$a|b|c} __metals__", "seed": 5, "stream": "wildcards:positive"},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        expected = expand_wildcards(
            "{2$$a|b|c} __metals__", 5, "wildcards:positive", {"metals": ("gold", "silver")}.get
        )
        assert body["text"] == expected.text and body["error"] is None
        assert body["picks"] == expected.picks
        kinds = [span["kind"] for span in body["spans"]]
        assert kinds == ["brace", "count", "separator", "separator", "brace", "wordlist"]

        failed = client.post(
            "/ui/wildcards/preview", json={"text": "x}", "seed": "7"}, headers=headers
        ).json()
        assert failed["text"] is None and "}" in failed["error"]
        assert failed["spans"] == [{"kind": "error", "start": 1, "end": 2}]

        for bad, problem in [
            ({"seed": 1}, "text:"),
            ({"text": "a", "seed": -1}, "seed:"),
            ({"text": "a", "seed": 2**64}, "seed:"),
            ({"text": "a", "seed": 1, "stream": "other"}, "stream:"),
        ]:
            refused = client.post(
                "/ui/wildcards/preview",
                json=bad,
                headers={**headers, "Accept": "application/json"},
            )
            assert refused.status_code == 400, (bad, refused.text)
            assert problem in refused.text
        no_token = client.post("/ui/wildcards/preview", json={"text": "a", "seed": 1})
        assert no_token.status_code == 403


def test_a_large_txt_upload_is_taken_by_the_ui(ui_server: GazeServer) -> None:
    lines = [f"entry number {number}" for number in range(150_000 // 2)]
    text = "\n".join(lines).encode()
    assert 1024 * 1024 < len(text) < MAX_WORDLIST_BYTES
    with ui_client(ui_server) as (client, token):
        created = client.post(
            "/library/wordlists/new",
            data={"id": "big_ui", "name": "Big", "csrf_token": token},
            files={"upload": ("big.txt", text, "text/plain")},
        )
        assert created.status_code == 303, created.text[:300]
        page = client.get("/library/wordlists/big_ui")
        assert "<span data-line-total>75000</span>" in page.text
