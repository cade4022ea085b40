"""Refining in the browser: Upscale and Vary from the lightbox, an image dropped on the generate
panel as init image, the panel's hires override and the preset editor's hires section."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from gaze.media.png_metadata import read_gaze_metadata


@pytest.fixture(scope="module")
def image(ui_server: GazeServer) -> dict[str, Any]:
    job = ui_server.generate_and_wait("example_01", seed=11, width=64, height=64)
    assert job["status"] == "done", job
    return job


def finished_png(server: GazeServer, answer: dict[str, Any]) -> tuple[Image.Image, dict[str, Any]]:
    """The image of the (first) job an action queued, and the spec its PNG records."""
    job = server.wait_for_job(answer["jobs"][0]["id"])
    assert job["status"] == "done", job
    data = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30).content
    png = Image.open(io.BytesIO(data))
    return png, read_gaze_metadata(png)["spec"]


def open_lightbox(page: Page, image: dict[str, Any]) -> None:
    page.goto("/gallery")
    page.locator(f'#gallery-grid .thumb img[src$="{image["result"]["relative_path"]}"]').click()
    expect(page.locator('[data-lb="upscale"]')).to_be_enabled()


def test_upscale_and_vary_from_the_lightbox(
    page: Page, ui_server: GazeServer, image: dict[str, Any]
) -> None:
    open_lightbox(page, image)
    page.select_option("[data-lb-scale]", "1.5")
    with page.expect_response(lambda r: r.url.endswith("/upscale")) as upscaled:
        page.click('[data-lb="upscale"]')
    expect(page.locator(".toast").last).to_contain_text("Upscale: 1 image queued")
    png, spec = finished_png(ui_server, upscaled.value.json())
    assert png.size == (96, 96)
    assert spec["init_image"]["path"] == image["result"]["relative_path"]
    assert spec["hires"]["scale"] == 1.5
    assert spec["seed"] == image["result"]["seed"]
    for action, denoise in (("vary-subtle", 0.35), ("vary-strong", 0.6)):
        with page.expect_response(lambda r: r.url.endswith("/vary")) as varied:
            page.click(f'[data-lb="{action}"]')
        png, spec = finished_png(ui_server, varied.value.json())
        assert png.size == (64, 64)
        assert spec["init_image"]["path"] == image["result"]["relative_path"]
        assert spec["denoise"] == denoise
        assert spec["seed"] != image["result"]["seed"]


def drop_file(page: Page, selector: str, data: bytes, name: str, mime: str) -> None:
    """Drag a file onto `selector` and drop it, as a file manager would."""
    transfer = page.evaluate_handle(
        """([bytes, name, mime]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
            return transfer;
        }""",
        [list(data), name, mime],
    )
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    expect(page.locator(selector)).to_have_class("panel generate-panel dragging")
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def png_bytes(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(out, format="PNG")
    return out.getvalue()


def test_an_image_dropped_on_the_panel_is_the_init_image_with_a_hires_override(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/presets/example_01")
    panel = "form[data-generate]"
    drop_file(page, panel, png_bytes(88, 72), "start.png", "image/png")
    expect(page.locator("[data-init-preview]")).to_be_visible()
    expect(page.locator("[data-init-facts]")).to_contain_text("88×72")
    expect(page.locator("[data-init-drop]")).to_be_hidden()
    page.locator("[data-init-denoise]").fill("0.5")
    expect(page.locator("[data-init-denoise-value]")).to_have_text("0.50")
    page.locator("[data-hires-override] label", has_text="Set here").click()
    page.locator('[data-hires="scale"]').fill("1.5")
    page.select_option('[data-hires="upscaler"]', "pixel-lanczos")
    with page.expect_response(lambda r: r.url.endswith("/generate")) as queued:
        page.click("[data-generate-button]")
    assert queued.value.status == 202, queued.value.text()
    png, spec = finished_png(ui_server, queued.value.json())
    assert spec["init_image"]["path"].startswith("inputs/")
    assert (spec["width"], spec["height"], spec["denoise"]) == (88, 72, 0.5)
    assert (spec["hires"]["scale"], spec["hires"]["upscaler"]) == (1.5, "pixel-lanczos")
    assert png.size == (128, 112)  # 132 x 108 to multiples of 8: 16.5 and 13.5 rounded to even
    page.click("[data-init-remove]")
    expect(page.locator("[data-init-image]")).to_be_hidden()
    expect(page.locator("[data-init-drop]")).to_be_visible()


def test_a_file_that_is_no_image_is_refused_where_it_was_dropped(page: Page) -> None:
    page.goto("/presets/example_01")
    drop_file(page, "form[data-generate]", b"plain words", "notes.png", "image/png")
    expect(page.locator(".toast.error")).to_contain_text("not an image")
    expect(page.locator("[data-init-image]")).to_be_hidden()


def test_the_preset_editor_saves_a_hires_pass_the_panel_can_turn_off(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/presets/new")
    page.fill("[data-name]", "Hires Preset")
    expect(page.locator('[name="hires.scale"]')).to_be_hidden()
    page.check("[data-hires-enabled]")
    page.fill('[name="hires.scale"]', "2")
    page.fill('[name="hires.denoise"]', "0.4")
    page.fill('[name="hires.steps"]', "3")
    page.select_option('[name="hires.upscaler"]', "pixel-bicubic")
    page.click("[data-save]")
    page.wait_for_url("**/presets/hires_preset")
    stored = ui_server.get("/api/v1/presets/hires_preset").json()
    assert stored["hires"] == {
        "scale": 2.0,
        "denoise": 0.4,
        "steps": 3,
        "upscaler": "pixel-bicubic",
        "sampler": None,
        "scheduler": None,
    }
    override = page.locator("[data-hires-override]")
    expect(override).to_contain_text("Preset's (2.0×)")
    override.locator("label", has_text="Off").click()
    page.locator(".segmented label", has_text="Custom").click()
    page.fill("[data-width]", "64")
    page.fill("[data-height]", "64")
    with page.expect_response(lambda r: r.url.endswith("/generate")) as queued:
        page.click("[data-generate-button]")
    png, spec = finished_png(ui_server, queued.value.json())
    assert spec["hires"] is None
    assert png.size == (64, 64)


def test_the_image_page_refines_with_plain_forms(page: Page, image: dict[str, Any]) -> None:
    page.goto("/gallery")
    thumb = page.locator(
        f'#gallery-grid .thumb:has(img[src$="{image["result"]["relative_path"]}"])'
    )
    page.goto(f"/gallery/{thumb.get_attribute('data-image-id')}")
    expect(page.locator("[data-inpaint-image]")).to_be_visible()
    page.locator("form", has_text="Vary: strong").locator("button").click()
    page.wait_for_url("**/queue")
    expect(page.locator("[data-notice]")).to_contain_text("Variation: 1 image queued")
    page.go_back()
    page.select_option('select[name="scale"]', "1.5")
    page.locator("form", has_text="Upscale").locator("button").click()
    page.wait_for_url("**/queue")
    expect(page.locator("[data-notice]")).to_contain_text("Upscale: 1 image queued")
