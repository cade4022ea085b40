"""The inpainting mask editor in the browser: mouse, touch and pen paint; erase; undo; the mask
goes out as a black/white PNG of the image's size and the inpainting is queued with it."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from gaze.media.png_metadata import read_gaze_metadata

WIDTH, HEIGHT = 96, 64
"""Not square, so a swapped width and height shows."""


@pytest.fixture(scope="module")
def image(ui_server: GazeServer) -> dict[str, Any]:
    job = ui_server.generate_and_wait("example_01", seed=7, width=WIDTH, height=HEIGHT)
    assert job["status"] == "done", job
    return job


def open_editor(page: Page) -> None:
    page.goto("/gallery")
    page.locator("#gallery-grid .thumb").first.click()
    inpaint = page.locator('[data-lb="inpaint"]')
    expect(inpaint).to_be_enabled()
    inpaint.click()
    expect(page.locator("[data-mask-editor]")).to_be_visible()


def screen_point(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the screen."""
    box = page.locator(".mask-canvas").bounding_box()
    assert box is not None
    return box["x"] + (x + 0.5) * box["width"] / WIDTH, box["y"] + (y + 0.5) * box[
        "height"
    ] / HEIGHT


def painted(page: Page, x: int, y: int) -> bool:
    alpha = page.evaluate(
        "([x, y]) => document.querySelector('.mask-canvas').getContext('2d')"
        ".getImageData(x, y, 1, 1).data[3]",
        [x, y],
    )
    return bool(alpha >= 128)


def drag(page: Page, start: tuple[int, int], end: tuple[int, int]) -> None:
    page.mouse.move(*screen_point(page, *start))
    page.mouse.down()
    page.mouse.move(*screen_point(page, *end), steps=8)
    page.mouse.up()


def test_paint_erase_and_undo_with_the_mouse_and_keys(page: Page, image: dict[str, Any]) -> None:
    open_editor(page)
    canvas = page.locator(".mask-canvas")
    assert (canvas.get_attribute("width"), canvas.get_attribute("height")) == ("96", "64")
    page.locator("[data-mask-size]").fill("6")
    drag(page, (10, 32), (85, 32))
    assert painted(page, 10, 32) and painted(page, 48, 32) and painted(page, 85, 32)
    assert not painted(page, 48, 10)
    page.keyboard.press("e")
    expect(page.locator('[data-mask-mode="erase"]')).to_have_attribute("aria-pressed", "true")
    drag(page, (48, 20), (48, 44))
    assert not painted(page, 48, 32) and painted(page, 20, 32)
    page.keyboard.press("Control+z")
    assert painted(page, 48, 32)
    page.click("[data-mask-undo]")
    assert not painted(page, 20, 32)
    expect(page.locator("[data-mask-undo]")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(page.locator("[data-mask-editor]")).to_have_count(0)
    expect(page.locator("[data-lightbox]")).to_be_visible()


def test_touch_and_pen_paint_too(page: Page, image: dict[str, Any]) -> None:
    open_editor(page)
    page.locator("[data-mask-size]").fill("4")
    cdp = page.context.new_cdp_session(page)
    for y in (15, 20, 25):
        x, sy = screen_point(page, 10 + y, y)
        touch = [{"x": x, "y": sy, "id": 1, "force": 0.1}]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": touch})
        moved = [
            {
                "x": x + 20 * page.locator(".mask-canvas").bounding_box()["width"] / WIDTH,
                "y": sy,
                "id": 1,
                "force": 0.9,
            }
        ]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": moved})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert painted(page, 30, 20) and painted(page, 40, 20)
    pen = {"pointerType": "pen", "button": "left", "clickCount": 1}
    px, py = screen_point(page, 60, 50)
    cdp.send(
        "Input.dispatchMouseEvent", {"type": "mousePressed", "x": px, "y": py, **pen, "force": 0.2}
    )
    qx, qy = screen_point(page, 80, 50)
    cdp.send(
        "Input.dispatchMouseEvent",
        {
            "type": "mouseMoved",
            "x": qx,
            "y": qy,
            "pointerType": "pen",
            "button": "left",
            "buttons": 1,
            "force": 1,
        },
    )
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": qx, "y": qy, **pen})
    assert painted(page, 60, 50) and painted(page, 70, 50) and painted(page, 80, 50)


def test_the_mask_goes_out_as_a_black_and_white_png_and_the_image_is_inpainted(
    page: Page, ui_server: GazeServer, image: dict[str, Any]
) -> None:
    open_editor(page)
    page.locator("[data-mask-size]").fill("8")
    drag(page, (20, 20), (60, 20))
    page.locator("[data-mask-denoise]").fill("0.9")
    with (
        page.expect_response(lambda r: r.url.endswith("/ui/uploads")) as uploaded,
        page.expect_response(lambda r: r.url.endswith("/inpaint")) as queued,
    ):
        page.click("[data-mask-go]")
    assert uploaded.value.status == 201, uploaded.value.text()
    upload = uploaded.value.json()
    assert (upload["width"], upload["height"]) == (WIDTH, HEIGHT)
    mask = Image.open(
        io.BytesIO(httpx.get(f"{ui_server.url}/static/uploads/{upload['relative_path']}").content)
    )
    assert mask.size == (WIDTH, HEIGHT)
    assert {colour for _, colour in mask.convert("RGB").getcolors()} == {(0, 0, 0), (255, 255, 255)}
    assert mask.getpixel((40, 20))[:3] == (255, 255, 255)
    assert mask.getpixel((40, 40))[:3] == (0, 0, 0)
    assert mask.getpixel((20, 12))[:3] == (0, 0, 0)
    expect(page.locator("[data-mask-editor]")).to_have_count(0)
    expect(page.locator(".toast")).to_contain_text("Inpaint: 1 image queued")
    assert queued.value.status == 200, queued.value.text()
    job = ui_server.wait_for_job(queued.value.json()["jobs"][0]["id"])
    assert job["status"] == "done", job
    spec = png_spec(ui_server, job["result"]["image_url"])
    assert spec["init_image"]["path"] == image["result"]["relative_path"]
    assert spec["mask"]["path"] == upload["relative_path"]
    assert (spec["width"], spec["height"], spec["denoise"]) == (WIDTH, HEIGHT, 0.9)
    assert spec["seed"] == image["result"]["seed"]
    assert spec["hires"] is None


def png_spec(server: GazeServer, image_url: str) -> dict[str, Any]:
    """The spec a generated PNG records."""
    data = httpx.get(f"{server.url}{image_url}", timeout=30).content
    spec: dict[str, Any] = read_gaze_metadata(Image.open(io.BytesIO(data)))["spec"]
    return spec
