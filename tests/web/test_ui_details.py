"""Small things a user meets: toasts, dates and labels, anchors, batches and seeds in the queue,
and deleting a resource that is still in use."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devkit.server import GazeServer

SIZE = {"width": 64, "height": 64}


def generate(server: GazeServer, slug: str, **body: Any) -> list[dict[str, Any]]:
    answer = server.post(f"/api/v1/generate/{slug}", json={**SIZE, **body})
    assert answer.status_code == 202, answer.text
    return [server.wait_for_job(job["job_id"]) for job in answer.json()["jobs"]]


@pytest.fixture(scope="module")
def batch(ui_server: GazeServer) -> list[dict[str, Any]]:
    """Three finished jobs of one generate request, seeds 500 and on."""
    jobs = generate(ui_server, "example_01", count=3, seed=500)
    assert all(job["status"] == "done" for job in jobs), jobs
    return jobs


def cancelled_jobs(server: GazeServer, count: int) -> None:
    """Jobs that end cancelled (their rows have a Retry button)."""
    answer = server.post("/api/v1/generate/example_01", json={**SIZE, "count": count})
    assert answer.status_code == 202, answer.text
    batch_id = answer.json().get("batch_id")
    job_ids = [job["job_id"] for job in answer.json()["jobs"]]
    if batch_id:
        server.post(f"/api/v1/batch/{batch_id}/cancel")
    else:
        for job_id in job_ids:
            server.post(f"/api/v1/job/{job_id}/cancel")
    for job_id in job_ids:
        server.wait_for_job(job_id)


def test_a_toast_never_covers_a_control_and_can_be_dismissed(
    page: Page, ui_server: GazeServer, batch: list[dict[str, Any]]
) -> None:
    cancelled_jobs(ui_server, 6)
    page.goto("/queue")
    buttons = page.locator("[data-queue-lists] button")
    expect(buttons.first).to_be_visible()
    page.evaluate(
        """() => {
          const button = [...document.querySelectorAll('[data-queue-lists] button')].pop();
          button.scrollIntoView({ block: 'end' });
          window.GAZE.toast('A message long enough to reach across a good part of the row.');
          window.GAZE.toast('And a second one, stacked above the first.', 'error');
        }"""
    )
    expect(page.locator(".toast")).to_have_count(2)
    covered: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('main button, main a.button')]
          .filter(b => b.offsetParent !== null)
          .map(b => [b, b.getBoundingClientRect()])
          .filter(([, r]) => r.bottom > 0 && r.top < window.innerHeight)
          .filter(([b, r]) => !b.contains(document.elementFromPoint(r.left + r.width / 2,
                                                                     r.top + r.height / 2)))
          .map(([b]) => b.textContent.trim())"""
    )
    assert not covered, f"toasts cover {covered}"
    page.locator(".toast").first.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".toast")).to_have_count(1)


def test_the_queue_groups_a_batch_and_shows_each_seed(
    page: Page, batch: list[dict[str, Any]]
) -> None:
    page.goto("/queue")
    rows = page.locator(f'[data-job="{batch[0]["id"]}"]')
    expect(rows).to_have_count(1)
    group = page.locator(".batch", has=rows)
    expect(group).to_have_count(1)
    expect(group.locator(".batch-head")).to_contain_text("3 jobs")
    for job in batch:
        row = group.locator(f'[data-job="{job["id"]}"]')
        expect(row.locator("[data-seed]")).to_have_text(f"seed {job['result']['seed']}")
        small = row.locator("img.job-thumb")
        expect(small).to_have_attribute("src", re.compile(r"^/static/thumbs/128/.+\.png\.webp$"))
        small.scroll_into_view_if_needed()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=small.element_handle()
        )


def test_the_image_page_shows_a_readable_date_and_plain_labels(
    page: Page, batch: list[dict[str, Any]]
) -> None:
    page.goto("/gallery")
    href = page.locator("#gallery-grid .thumb").first.get_attribute("href")
    assert href and href.startswith("/gallery/"), href
    page.goto(href)
    moment = page.locator("aside time[datetime]")
    expect(moment).to_have_count(1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment.get_attribute("datetime") or "")
    expect(moment).to_have_text(re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC$"))
    labels = page.locator("aside dl.facts dt").all_inner_texts()
    assert "CFG scale" in labels and "Cfg" not in labels, labels


def test_a_regenerated_key_heading_is_not_under_the_navbar(
    page: Page, ui_server: GazeServer
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/settings")
    page.locator("#api-key").get_by_role("button", name="Regenerate").click()
    page.wait_for_url(re.compile(r"/settings#api-key$"))
    ui_server.api_key = page.locator("#new-api-key").input_value()
    heading = page.get_by_role("heading", name="REST API Key")
    expect(heading).to_be_visible()
    page.wait_for_function("document.readyState === 'complete'")
    navbar_bottom = page.evaluate(
        "document.querySelector('.navbar').getBoundingClientRect().bottom"
    )
    heading_top = page.evaluate(
        "[...document.querySelectorAll('h2')].find(h => h.textContent.includes('REST API Key'))"
        ".getBoundingClientRect().top"
    )
    assert heading_top >= navbar_bottom, (heading_top, navbar_bottom)
    assert ui_server.get("/api/v1/presets").status_code == 200


def test_deleting_a_character_in_use_links_to_its_presets_and_back(
    page: Page, ui_server: GazeServer
) -> None:
    character = {"id": "used_hero", "name": "Used Hero", "fields": {"look": {"hair": "red"}}}
    assert ui_server.post("/api/v1/characters", json=character).status_code == 201
    preset = {
        "id": "uses_hero",
        "name": "Uses Hero",
        "checkpoint": "gaze-demo-sd15-tiny.safetensors",
        "characters": {"mode": "fixed", "id": "used_hero"},
    }
    answer = ui_server.post("/api/v1/presets", json=preset)
    assert answer.status_code == 201, answer.text
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/library/characters/used_hero")
    with page.expect_response(re.compile(r"/delete$")) as response:
        page.get_by_role("button", name="Delete").click()
    assert response.value.status == 409
    users = page.locator("[data-users] a")
    expect(users).to_have_count(1)
    expect(users.first).to_contain_text("Uses Hero")
    expect(page.locator("[data-back]")).to_have_attribute("href", "/library/characters/used_hero")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    users.first.click()
    page.wait_for_url(re.compile(r"/presets/uses_hero/edit$"))
    page.go_back()
    page.locator("[data-back]").click()
    page.wait_for_url(re.compile(r"/library/characters/used_hero$"))
    assert ui_server.get("/api/v1/characters/used_hero").status_code == 200
