"""Every page on a 390 px phone, with content at the server's length limits, stays 390 px wide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from devkit.server import GazeServer
from gaze.library.schema import CATEGORIES

PHONE = {"width": 390, "height": 844}
DEMO = "gaze-demo-sd15-tiny.safetensors"
LONG_TAG = "t" * 200
LONG_NAME = "N" * 120
LONG_WORD_PROMPT = ", ".join(["p" * 200] * 25 + ["quite long prompt words"] * 50)
LONG_ID_PREFIX = "phone_"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "phone-screens"


def long_id(tail: str) -> str:
    return (LONG_ID_PREFIX + tail + "_" + "x" * 128)[:128]


def resource(category: str) -> dict[str, Any]:
    return {
        "id": long_id(category),
        "name": LONG_NAME,
        "description": "d" * 1500,
        "fields": {"main": {"long": LONG_WORD_PROMPT, "tag": LONG_TAG}},
        "default_fields": ["main::long", "main::tag"],
        "tags": {"mood": LONG_TAG, "k" * 60: "calm"},
    }


def preset() -> dict[str, Any]:
    return {
        "id": long_id("preset"),
        "name": LONG_NAME,
        "description": "d" * 1500,
        "checkpoint": DEMO,
        "characters": {"mode": "fixed", "id": long_id("characters")},
        "scenes": {"mode": "fixed", "id": long_id("scenes")},
        "tags": {"mood": LONG_TAG},
        "positive": LONG_WORD_PROMPT,
        "negative": ", ".join(["n" * 200] * 14),
        "width": 64,
        "height": 64,
        "steps": 2,
    }


@pytest.fixture(scope="module")
def long_content(ui_server: GazeServer) -> dict[str, Any]:
    """One resource per category and one preset at the limits, and one image of that preset."""
    for category in CATEGORIES:
        answer = ui_server.post(f"/api/v1/{category}", json=resource(category))
        assert answer.status_code == 201, answer.text
    answer = ui_server.post("/api/v1/presets", json=preset())
    assert answer.status_code == 201, answer.text
    slug: str = answer.json()["slug"]
    answer = ui_server.post(
        f"/api/v1/generate/{slug}",
        json={"seed": 7, "extra_positive": ", ".join(["e" * 200] * 5) + ", more words" * 200},
    )
    assert answer.status_code == 202, answer.text
    job = ui_server.wait_for_job(answer.json()["jobs"][0]["job_id"])
    assert job["status"] == "done", job
    return {"slug": slug, "job": job}


@pytest.fixture
def phone(browser: Browser, ui_server: GazeServer) -> Iterator[Page]:
    context = browser.new_context(base_url=ui_server.url, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(20_000)
    opened = context.new_page()
    yield opened
    context.close()


def gallery_image_path(page: Page) -> str:
    page.goto("/gallery")
    href = page.locator("#gallery-grid .thumb").first.get_attribute("href")
    assert href and href.startswith("/gallery/"), href
    return href


def page_paths(content: dict[str, Any]) -> list[str]:
    slug = content["slug"]
    resource_slug = long_id("characters")
    paths = [
        "/",
        f"/presets/{slug}",
        "/presets/new",
        f"/presets/{slug}/edit",
        *(f"/library/{category}" for category in CATEGORIES),
        f"/library/characters/{resource_slug}",
        "/library/characters/aria_vale",
        f"/library/scenes/{long_id('scenes')}",
        "/library/characters/new",
        "/checkpoints",
        f"/checkpoints/edit?path={DEMO}",
        "/generate",
        "/gallery",
        "/queue",
        f"/search?q={LONG_NAME[:20]}",
        "/search?q=" + "q" * 300,
        "/settings",
        "/library/characters/" + "missing_" + "m" * 100,
        "/docs",
    ]
    return paths


def overflow_of(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def elements_past_the_edge(page: Page) -> list[str]:
    """The innermost elements reaching past the viewport's right edge: what to fix."""
    script = """() => {
      const past = e => e.getBoundingClientRect().right > window.innerWidth + 1;
      return [...document.querySelectorAll('body *')]
      .filter(past)
      .filter(e => ![...e.children].some(past))
      .filter(e => !e.closest('.table-wrap, .scroll-x, [hidden]'))
      .slice(0, 5)
      .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
        + ` right=${Math.round(e.getBoundingClientRect().right)}`) }"""
    found: list[str] = page.evaluate(script)
    return found


def submit_buttons_outside(page: Page) -> list[str]:
    """Submit buttons of the main content lying (partly) outside the viewport horizontally."""
    script = """() => [...document.querySelectorAll(
        'main button[type=submit], main .sticky-actions button')]
      .filter(b => b.offsetParent !== null)
      .map(b => [b.textContent.trim(), b.getBoundingClientRect()])
      .filter(([, r]) => r.left < 0 || r.right > window.innerWidth)
      .map(([t, r]) => `${t} at ${Math.round(r.left)}..${Math.round(r.right)}`)"""
    outside: list[str] = page.evaluate(script)
    return outside


def test_every_page_fits_a_phone_with_content_at_the_limits(
    phone: Page, long_content: dict[str, Any]
) -> None:
    paths = [*page_paths(long_content), gallery_image_path(phone)]
    problems = []
    for path in paths:
        phone.goto(path)
        phone.wait_for_load_state("networkidle")
        phone.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
        width = overflow_of(phone)
        if width > PHONE["width"]:
            problems.append(f"{path[:60]}: {width} px wide {elements_past_the_edge(phone)}")
        outside = submit_buttons_outside(phone)
        if outside:
            problems.append(f"{path[:80]}: buttons off screen: {outside}")
    assert not problems, "\n".join(problems)


def test_the_open_menu_and_an_open_lightbox_fit_a_phone(
    phone: Page, long_content: dict[str, Any]
) -> None:
    phone.goto("/gallery")
    phone.locator("label.burger").click()
    assert phone.locator(".nav").is_visible()
    assert overflow_of(phone) <= PHONE["width"]
    phone.locator("label.burger").click()
    phone.locator("#gallery-grid .thumb").first.click()
    phone.locator("[data-lightbox]").wait_for()
    assert overflow_of(phone) <= PHONE["width"]


def test_screenshots_of_a_few_pages_on_a_phone(phone: Page, long_content: dict[str, Any]) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (
        ("library-detail", f"/library/characters/{long_id('characters')}"),
        ("preset", f"/presets/{long_content['slug']}"),
        ("gallery-image", gallery_image_path(phone)),
        ("queue", "/queue"),
    ):
        phone.goto(path)
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        assert overflow_of(phone) <= PHONE["width"], name
