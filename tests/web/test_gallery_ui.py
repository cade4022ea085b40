"""The gallery, its lightbox and image actions, and the queue page, in the browser."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from devkit.server import GazeServer

SEEDS = (101, 102, 103, 104)


def generate(server: GazeServer, slug: str, **body: Any) -> list[str]:
    answer = server.post(f"/api/v1/generate/{slug}", json=body)
    assert answer.status_code == 202, answer.text
    return [job["job_id"] for job in answer.json()["jobs"]]


@pytest.fixture(scope="module")
def images(ui_server: GazeServer) -> list[dict[str, Any]]:
    """Four small images of example_01, seeds 101-104 (the newest is seed 104)."""
    done = []
    for seed in SEEDS:
        (job_id,) = generate(ui_server, "example_01", seed=seed, width=64, height=64)
        done.append(ui_server.wait_for_job(job_id))
    assert all(job["status"] == "done" for job in done), done
    return done


def pixels(server: GazeServer, image_url: str) -> bytes:
    data = httpx.get(f"{server.url}{image_url}", timeout=30).content
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def open_lightbox(page: Page, index: int = 0) -> None:
    page.goto("/gallery")
    page.locator("#gallery-grid .thumb").nth(index).click()
    expect(page.locator("[data-lightbox]")).to_be_visible()


def test_the_gallery_shows_images_newest_first(page: Page, images: list[dict[str, Any]]) -> None:
    page.goto("/gallery")
    thumbs = page.locator("#gallery-grid .thumb img")
    expect(thumbs).to_have_count(len(images))
    assert thumbs.first.get_attribute("alt") == "Seed 104"
    assert thumbs.last.get_attribute("alt") == "Seed 101"


def test_the_lightbox_shows_the_details_and_browses_with_arrow_keys(
    page: Page, images: list[dict[str, Any]]
) -> None:
    open_lightbox(page)
    side = page.locator("[data-lb-side]")
    expect(side.locator("[data-lb-title]")).to_have_text("Example Preset")
    expect(side.locator("[data-lb-facts]")).to_contain_text("104")
    expect(side.locator("[data-lb-facts]")).to_contain_text("gaze-demo-sd15-tiny.safetensors")
    expect(side.locator("[data-lb-facts]")).to_contain_text("local")
    expect(side.locator("[data-lb-prompt]")).to_contain_text("silver hair")
    expect(side.locator("[data-lb-negative]")).to_contain_text("watermark")
    expect(side.locator("[data-lb-picks]")).to_contain_text("Aria Vale")
    expect(page.locator("[data-lb-counter]")).to_have_text(f"1 / {len(images)}")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-lb-counter]")).to_have_text(f"2 / {len(images)}")
    expect(side.locator("[data-lb-facts]")).to_contain_text("103")
    page.keyboard.press("ArrowLeft")
    expect(side.locator("[data-lb-facts]")).to_contain_text("104")
    download = page.locator("[data-lb-download]")
    assert download.get_attribute("href") == images[-1]["result"]["image_url"]
    page.keyboard.press("Escape")
    expect(page.locator("[data-lightbox]")).to_be_hidden()


def test_reproduce_gives_the_same_pixels_and_vary_a_new_seed(
    page: Page, ui_server: GazeServer, images: list[dict[str, Any]]
) -> None:
    original = images[-1]
    open_lightbox(page)
    with page.expect_response(lambda r: r.url.endswith("/reproduce")) as answer:
        page.click('[data-lb="reproduce"]')
    # the toast shows for 3.5 s: look for it before waiting for the job
    expect(page.locator(".toast")).to_contain_text("Reproduce")
    reproduced = ui_server.wait_for_job(answer.value.json()["jobs"][0]["id"])
    assert reproduced["status"] == "done"
    assert reproduced["result"]["seed"] == original["result"]["seed"]
    assert pixels(ui_server, reproduced["result"]["image_url"]) == pixels(
        ui_server, original["result"]["image_url"]
    )
    with page.expect_response(lambda r: r.url.endswith("/vary")) as answer:
        page.click('[data-lb="vary"]')
    varied = ui_server.wait_for_job(answer.value.json()["jobs"][0]["id"])
    assert varied["status"] == "done"
    assert varied["result"]["seed"] != original["result"]["seed"]


def test_set_an_image_as_the_preset_cover(
    page: Page, ui_server: GazeServer, images: list[dict[str, Any]]
) -> None:
    open_lightbox(page, index=1)
    page.click('[data-lb="cover"]')
    expect(page.locator(".toast")).to_contain_text("Cover of Example Preset set")
    image_id = page.locator("#gallery-grid .thumb").nth(1).get_attribute("data-image-id")
    detail = httpx.get(f"{ui_server.url}/ui/images/{image_id}", timeout=30).json()
    page.goto("/presets/example_01")
    expect(page.locator(".preset-hero .cover img")).to_have_attribute(
        "src", f"/static/uploads/{detail['relative_path']}"
    )


def test_favourite_and_nsfw_flags_filter_the_gallery(
    page: Page, images: list[dict[str, Any]]
) -> None:
    open_lightbox(page, index=2)
    page.click('[data-lb="favourite"]')
    expect(page.locator('[data-lb="favourite"]')).to_have_attribute("aria-pressed", "true")
    page.click('[data-lb="nsfw"]')
    expect(page.locator('[data-lb="nsfw"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    page.goto("/gallery?fav=1")
    expect(page.locator("#gallery-grid .thumb")).to_have_count(1)
    expect(page.locator("#gallery-grid .thumb .flag.nsfw")).to_be_visible()
    page.goto("/gallery?nsfw=hide")
    assert page.locator("#gallery-grid .thumb.blurred").count() == 0
    page.goto("/gallery?nsfw=only")
    expect(page.locator("#gallery-grid .thumb")).to_have_count(1)


def test_delete_an_image_asks_first_and_removes_the_file(
    page: Page, ui_server: GazeServer, images: list[dict[str, Any]]
) -> None:
    victim = images[0]["result"]["image_url"]
    page.goto("/gallery")
    thumb = page.locator(f'#gallery-grid .thumb img[src="{victim}"]').locator("xpath=..")
    count = page.locator("#gallery-grid .thumb").count()
    thumb.click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click('[data-lb="delete"]')
    expect(page.locator("#gallery-grid .thumb")).to_have_count(count)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('[data-lb="delete"]')
    expect(page.locator("#gallery-grid .thumb")).to_have_count(count - 1)
    assert httpx.get(f"{ui_server.url}{victim}", timeout=30).status_code == 404


def test_the_gallery_pages_with_infinite_scroll(page: Page, ui_server: GazeServer) -> None:
    for _batch in range(2):
        generate(ui_server, "example_04", count=20, width=64, height=64)
    jobs = generate(ui_server, "example_04", count=20, width=64, height=64)
    assert ui_server.wait_for_job(jobs[-1])["status"] == "done"
    page.goto("/gallery")
    thumbs = page.locator("#gallery-grid .thumb")
    expect(thumbs).to_have_count(60)
    page.locator(".load-more").scroll_into_view_if_needed()
    expect(thumbs).not_to_have_count(60)
    assert thumbs.count() > 60


def test_filter_the_gallery_by_preset_and_resource(
    page: Page, ui_server: GazeServer, images: list[dict[str, Any]]
) -> None:
    (plain,) = generate(ui_server, "example_04", width=64, height=64)
    assert ui_server.wait_for_job(plain)["status"] == "done"
    page.goto("/gallery")
    page.select_option('select[name="preset"]', "example_04")
    page.wait_for_url("**/gallery?*preset=example_04*")
    first = page.locator("#gallery-grid .thumb").first
    first.click()
    expect(page.locator("[data-lb-title]")).to_have_text("Plain Prompt")
    page.keyboard.press("Escape")
    page.goto("/gallery")
    page.fill('.toolbar input[name="resource"]', "characters:aria_vale")
    page.press('.toolbar input[name="resource"]', "Enter")
    page.wait_for_url("**/gallery?*resource=characters%3Aaria_vale*")
    expect(page.locator(".toolbar .chip")).to_contain_text("Aria Vale")
    with_aria = page.locator("#gallery-grid .thumb")
    expect(with_aria.first).to_be_visible()
    with_aria.first.click()
    expect(page.locator("[data-lb-picks]")).to_contain_text("Aria Vale")
    page.keyboard.press("Escape")
    page.goto("/gallery?resource=characters:kenji_arata")
    expect(page.locator(".empty")).to_contain_text("No image matches")


def test_the_queue_shows_progress_and_cancels_jobs(page: Page, ui_server: GazeServer) -> None:
    # A second pass keeps each job processing for seconds, long enough to be seen and
    # cancelled mid-run even when the engine is already loaded and the machine is idle.
    hires = {"scale": 2, "steps": 30, "denoise": 0.5}
    jobs = generate(ui_server, "example_01", count=3, width=512, height=512, hires=hires)
    page.goto("/queue")
    running = page.locator(f'[data-job="{jobs[0]}"]')
    expect(running).to_have_attribute("data-status", "processing", timeout=60_000)
    expect(running.locator(".progress")).to_be_visible()
    # progress moves live, from the event stream, without reloading
    expect(running.locator("[data-percent]")).not_to_have_text("0%", timeout=60_000)
    width = running.locator(".progress i").evaluate("bar => bar.style.width")
    assert width != "0%"
    pending = page.locator(f'[data-job="{jobs[2]}"]')
    expect(pending).to_contain_text("pending")
    pending.locator("button", has_text="Cancel").click()
    expect(page.locator(f'[data-job="{jobs[2]}"]')).to_have_attribute("data-status", "cancelled")
    assert ui_server.get(f"/api/v1/job/{jobs[2]}").json()["status"] == "cancelled"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Clear pending")
    expect(page.locator(f'[data-job="{jobs[1]}"]')).to_have_attribute("data-status", "cancelled")
    # the running one stops too
    page.locator(f'[data-job="{jobs[0]}"] button', has_text="Cancel").click()
    expect(page.locator(f'[data-job="{jobs[0]}"]')).to_have_attribute(
        "data-status", "cancelled", timeout=60_000
    )
    expect(page.locator("[data-queue-badge]")).to_be_hidden()


def read_events(lines: Iterator[str], *until: str, limit: float = 60) -> list[tuple[str, str]]:
    """(event, data) pairs of an event stream's lines, up to the first whose data contains
    every text of `until`."""
    found: list[tuple[str, str]] = []
    kind, data = "message", ""
    deadline = time.monotonic() + limit
    for line in lines:
        assert time.monotonic() < deadline, f"no event with {until!r} in {found}"
        if line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: "):
            data = line[len("data: ") :]
        elif line == "":
            if data:
                found.append((kind, data))
                if all(text in data for text in until):
                    return found
            kind, data = "message", ""
    raise AssertionError(f"the stream ended before an event with {until!r}: {found}")


def test_the_event_stream_reports_jobs_and_resumes(ui_server: GazeServer) -> None:
    with httpx.Client(base_url=ui_server.url, timeout=60) as client:
        with client.stream("GET", "/ui/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "retry: 1000"
            (job_id,) = generate(ui_server, "example_04", width=64, height=64)
            seen = read_events(lines, '"job.done"', job_id)
        kinds = [kind for kind, _data in seen]
        assert kinds[0] == "status" and '"backends"' in seen[0][1]
        mine = [json.loads(data) for kind, data in seen if kind == "job" and job_id in data]
        assert mine[0]["event"] == "job.queued"
        assert mine[-1]["status"] == "done" and mine[-1]["image_id"]
        # a page that comes back with Last-Event-ID gets what it missed
        with client.stream("GET", "/ui/events", headers={"Last-Event-ID": "0"}) as again:
            replayed = read_events(again.iter_lines(), job_id)
        assert any(kind == "job" for kind, _data in replayed)
