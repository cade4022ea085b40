"""Images appear as they finish: a preset page's recent images, the gallery, and result tiles
that tell the seed and the picks of their image."""

from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from devkit.server import GazeServer


def _queue(ui_server: GazeServer, slug: str, seed: int) -> str:
    answer = httpx.post(
        f"{ui_server.url}/api/v1/generate/{slug}",
        headers=ui_server.headers,
        json={"count": 1, "seed": seed, "width": 128, "height": 128},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["jobs"][0]["job_id"])


def test_recent_images_and_the_gallery_update_when_an_image_finishes(
    page: Page, ui_server: GazeServer
) -> None:
    context: BrowserContext = page.context
    page.goto("/presets/example_01")
    expect(page.locator("#resolved [data-resolved-seed]")).to_contain_text("random example")
    gallery = context.new_page()
    gallery.goto("/gallery?preset=example_01")
    other_gallery = context.new_page()
    other_gallery.goto("/gallery?preset=example_02")
    shown_elsewhere = other_gallery.locator("#gallery-grid .thumb").count()

    job_id = _queue(ui_server, "example_01", 424242)
    ui_server.wait_for_job(job_id)

    newest = page.locator("[data-recent-grid] .tile").first
    expect(newest.locator(".tile-facts")).to_contain_text("Seed 424242", timeout=30_000)
    expect(newest.locator(".tile-facts")).to_contain_text("Aria Vale")
    expect(gallery.locator("#gallery-grid .thumb").first).to_have_attribute(
        "title", "Seed 424242 · 128×128", timeout=30_000
    )
    expect(gallery.locator("#gallery-grid .thumb").first).to_be_visible()
    other_gallery.wait_for_timeout(1000)
    assert other_gallery.locator("#gallery-grid .thumb").count() == shown_elsewhere
    gallery.close()
    other_gallery.close()


def test_a_result_tile_shows_its_seed_and_picks(page: Page) -> None:
    page.goto("/presets/example_01")
    page.locator(".segmented label", has_text="Custom").click()
    page.fill("[data-width]", "128")
    page.fill("[data-height]", "128")
    page.fill("[data-seed]", "31337")
    page.click("[data-generate-button]")
    facts = page.locator("[data-results] .tile .tile-facts")
    expect(facts).to_contain_text("Seed 31337", timeout=120_000)
    expect(facts).to_contain_text("Aria Vale")
