"""The Generator page's UI routes on a real server (real SQLite): resolve, generate, save, the
bookmarked state, a preset opened in the Generator, and the form without script."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page

from devkit.server import GazeServer
from tests.support.ids import unique_id

TINY = "gaze-demo-sd15-tiny.safetensors"
MIRA_IN_A_RANDOM_OUTFIT: dict[str, str] = {
    "characters.mode": "fixed",
    "characters.id": "mira_holt",
    "outfits.mode": "random",
    "outfits.pool": "all",
    "checkpoint": TINY,
    "size_mode": "custom",
    "width": "64",
    "height": "64",
    "steps": "2",
}


@pytest.fixture
def browser_without_script(browser: Browser, ui_server: GazeServer) -> Iterator[Page]:
    context = browser.new_context(base_url=ui_server.url, java_script_enabled=False)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def token(page: Page) -> str:
    return str(page.locator('meta[name="csrf-token"]').get_attribute("content"))


def query(fields: dict[str, str | list[str]]) -> str:
    return urlencode(fields, doseq=True)


def test_resolve_gives_the_prompt_the_picks_and_the_state(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/generator")
    two_outfits = {"outfits.pool": "list", "outfits.pool_ids": ["rain_jacket", "evening_gown"]}
    fields = query({**MIRA_IN_A_RANDOM_OUTFIT, **two_outfits, "seed": "7"})
    answer = page.request.get(f"/ui/generator/resolve?{fields}")
    assert answer.status == 200, answer.text()
    body = answer.json()
    resolution = body["resolution"]
    assert "red hair" in resolution["prompt"]
    assert (resolution["seed"], resolution["width"], resolution["height"]) == (7, 64, 64)
    assert resolution["choices"]["characters"][0]["id"] == "mira_holt"
    assert resolution["choices"]["outfits"][0]["id"] in ("rain_jacket", "evening_gown")
    state = parse_qs(body["query"])
    recipe = json.loads(state["recipe"][0])
    assert recipe["characters"] == {"mode": "fixed", "id": "mira_holt"}
    assert recipe["outfits"]["pool"] == {"kind": "list", "ids": ["rain_jacket", "evening_gown"]}
    assert state["seed"] == ["7"]
    again = page.request.get(f"/ui/generator/resolve?{fields}")
    assert again.json()["resolution"] == resolution

    api = httpx.post(
        f"{ui_server.url}/api/v1/resolve",
        headers=ui_server.headers,
        json={"recipe": recipe, "seed": 7},
    )
    assert api.json() == resolution


def test_resolve_names_what_is_wrong(page: Page) -> None:
    page.goto("/generator")
    unknown = page.request.get(
        "/ui/generator/resolve?"
        + query({"characters.mode": "fixed", "characters.id": "nobody_here"})
    )
    assert unknown.status == 400
    assert unknown.json()["code"] == "unknown_slot_ids"
    assert "nobody_here" in unknown.json()["error"]
    empty_pool = page.request.get(
        "/ui/generator/resolve?"
        + query(
            {
                "scenes.mode": "random",
                "scenes.pool": "tag",
                "scenes.pool_key": "mood",
                "scenes.pool_value": "nowhere",
                "checkpoint": TINY,
            }
        )
    )
    assert empty_pool.status == 400
    assert "scenes" in " ".join(empty_pool.json()["problems"])
    bad_seed = page.request.get(
        f"/ui/generator/resolve?{query({'seed': 'soon', 'checkpoint': TINY})}"
    )
    assert bad_seed.status == 400
    assert "seed" in bad_seed.json()["error"]


def test_generate_queues_composed_jobs(page: Page, ui_server: GazeServer) -> None:
    page.goto("/generator")
    headers = {"X-CSRF-Token": token(page), "Accept": "application/json"}
    refused = page.request.post("/ui/generator/generate", form={"count": "1"})
    assert refused.status == 403
    answer = page.request.post(
        "/ui/generator/generate",
        headers=headers,
        form={
            **MIRA_IN_A_RANDOM_OUTFIT,
            "seed": "11",
            "count": "2",
        },
    )
    assert answer.status == 202, answer.text()
    jobs = answer.json()["jobs"]
    assert [job["seed"] for job in jobs] == [11, 12]
    job = httpx.get(f"{ui_server.url}/api/v1/job/{jobs[0]['id']}", headers=ui_server.headers).json()
    assert job["label"] == "Composed: Mira Holt"
    for queued in jobs:
        ui_server.wait_for_job(queued["id"])


def test_save_as_preset_redirects_to_it_and_refusals_show_inline(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/generator")
    name = unique_id("Mira Anywhere")
    saved = page.request.post(
        "/generator/save",
        form={
            **MIRA_IN_A_RANDOM_OUTFIT,
            "preset_name": name,
            "csrf_token": token(page),
        },
        max_redirects=0,
    )
    assert saved.status == 303, saved.text()
    location = saved.headers["location"]
    slug = location.removeprefix("/presets/")
    stored = httpx.get(f"{ui_server.url}/api/v1/presets/{slug}", headers=ui_server.headers).json()
    assert stored["name"] == name
    assert (stored["characters"]["mode"], stored["characters"]["id"]) == ("fixed", "mira_holt")
    assert stored["outfits"]["mode"] == "random"
    assert (stored["width"], stored["height"], stored["steps"]) == (64, 64, 2)

    taken = page.request.post(
        "/generator/save",
        form={
            **MIRA_IN_A_RANDOM_OUTFIT,
            "preset_name": name,
            "preset_id": stored["id"],
            "csrf_token": token(page),
        },
    )
    assert taken.status == 409
    assert "already exists" in taken.text()
    assert 'value="mira_holt" selected' in taken.text()
    unnamed = page.request.post(
        "/generator/save", form={**MIRA_IN_A_RANDOM_OUTFIT, "csrf_token": token(page)}
    )
    assert unnamed.status == 400
    assert "data-save-problems" in unnamed.text()


def test_the_page_keeps_a_bookmarked_state_and_opens_presets(page: Page) -> None:
    recipe = {
        "slots": {"characters": "kenji_arata", "scenes": {"mode": "random"}},
        "checkpoint": TINY,
    }
    page.goto(f"/generator?{urlencode({'recipe': json.dumps(recipe), 'seed': '5'})}")
    assert page.locator('select[name="characters.id"]').input_value() == "kenji_arata"
    assert page.locator('input[name="scenes.mode"][value="random"]').is_checked()
    assert page.locator("[data-seed]").input_value() == "5"
    assert "for seed 5" in page.locator("[data-resolved-seed]").inner_text()

    broken = page.request.get("/generator?recipe=%7Bnot%20json")
    assert broken.status == 200
    assert "recipe:" in broken.text()

    page.goto("/generator?from=example_02")
    assert page.locator('select[name="actions.id"]').input_value() == "reading_book"
    assert page.locator('input[name="scenes.mode"][value="random"]').is_checked()
    assert page.locator('select[name="scenes.pool_ids"]').evaluate(
        "select => [...select.selectedOptions].map(option => option.value)"
    ) == ["forest_clearing", "lighthouse_coast"]
    assert page.locator('input[name="steps"]').input_value() == "16"
    assert page.locator('textarea[name="negative"]').input_value() == "text, signature"
    assert page.request.get("/generator?from=no_such_preset").status == 404


def test_the_form_works_without_script(browser_without_script: Page) -> None:
    page = browser_without_script
    page.goto("/generator")
    page.locator('input[name="characters.mode"][value="fixed"]').check()
    page.select_option('select[name="characters.id"]', "mira_holt")
    page.click("[data-resolve-button]")
    assert "red hair" in page.locator('[data-resolved="prompt"]').inner_text()
    assert page.locator('[data-pick="characters"]').inner_text() == "→ Mira Holt"
    page.locator('input[name="size_mode"][value="custom"]').check()
    page.fill('input[name="width"]', "64")
    page.fill('input[name="height"]', "64")
    page.click("[data-generate-button]")
    assert "Queued 1 image" in page.locator("[data-queued]").inner_text()
    assert urlsplit(page.url).path == "/generator/generate"
