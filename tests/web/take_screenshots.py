"""Screenshots of the main pages for docs/screenshots/ (not a test: run it by hand).

    .venv/bin/python -m tests.web.take_screenshots

Starts a server on a fresh data folder, generates a few images on the demo checkpoint
(noise: that is expected), and photographs the presets grid, a preset page with results,
the gallery with the lightbox open, the queue while it works, the settings, a library page,
the Generator, a finished grid and PNG info reading a GAZE image, at 1440x900, plus the
presets grid on a phone.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page

from devkit.server import REPO, GazeServer, run_gaze
from tests.web.browser import chromium

OUT = REPO / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}


def generate(server: GazeServer, slug: str, **body: object) -> list[str]:
    answer = server.post(f"/api/v1/generate/{slug}", json=body)
    answer.raise_for_status()
    return [job["job_id"] for job in answer.json()["jobs"]]


def finished_grid(server: GazeServer) -> str:
    """A 2x2 grid (cfg x seed) of example_01, waited for until its sheet is built."""
    answer = server.post(
        "/api/v1/grids",
        json={
            "preset": "example_01",
            "width": 192,
            "height": 192,
            "x": {"axis": "cfg", "values": [4, 8]},
            "y": {"axis": "seed", "values": [101, 202]},
        },
    )
    answer.raise_for_status()
    grid_id = str(answer.json()["grid_id"])
    deadline = time.monotonic() + 600
    while not server.get(f"/api/v1/grid/{grid_id}").json().get("image_url"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"grid {grid_id} did not finish")
        time.sleep(1)
    return grid_id


def own_image(server: GazeServer) -> bytes:
    """The PNG of the newest finished job, as GAZE wrote it (with its parameters)."""
    jobs = server.get("/api/v1/jobs", params={"status": "done", "limit": 1}).json()["jobs"]
    job = server.get(f"/api/v1/job/{jobs[0]['id']}").json()
    return server.get(job["result"]["image_url"]).content


def settle(page: Page) -> None:
    page.wait_for_timeout(600)
    page.evaluate("document.fonts.ready")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gaze-shots-") as folder:
        data_dir = Path(folder) / "data"
        run_gaze(data_dir, "init")
        server = GazeServer(data_dir).start()
        server.regenerate_key()
        try:
            last: list[str] = []
            for slug, seed in (("example_01", 11), ("example_02", 21), ("example_03", 31)):
                last = generate(server, slug, count=4, seed=seed, width=256, height=256)
            server.wait_for_job(last[-1], timeout=600)
            grid_id = finished_grid(server)  # before the settings page changes the API key
            own_png = own_image(server)
            with chromium() as browser:
                context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
                page = context.new_page()
                page.goto("/")
                page.locator("#preset-cards .card", has_text="Painted Outdoors").locator(
                    "button.flag"
                ).click()
                page.reload()
                settle(page)
                page.screenshot(path=OUT / "presets.png")

                page.goto("/presets/example_01")
                page.fill("[data-count]", "4")
                page.locator(".segmented label", has_text="Custom").click()
                page.fill("[data-width]", "256")
                page.fill("[data-height]", "256")
                page.fill("[data-seed]", "4242")
                page.click("[data-generate-button]")
                page.locator("[data-results] .tile img").nth(1).wait_for(timeout=300_000)
                settle(page)
                page.screenshot(path=OUT / "preset.png")
                page.locator("[data-results] .tile img").nth(3).wait_for(timeout=300_000)

                page.goto("/gallery")
                page.locator("#gallery-grid .thumb").nth(2).click()
                page.locator("[data-lb-facts]").get_by_text("Seed").wait_for()
                settle(page)
                page.screenshot(path=OUT / "gallery-lightbox.png")

                generate(server, "example_01", count=6, width=512, height=512)
                page.goto("/queue")
                page.locator('.job[data-status="processing"] .progress i').wait_for(timeout=120_000)
                time.sleep(2)
                settle(page)
                page.screenshot(path=OUT / "queue.png")
                page.once("dialog", lambda dialog: dialog.accept())
                page.click("text=Clear pending")

                page.goto("/settings")
                page.once("dialog", lambda dialog: dialog.accept())
                page.click("#api-key button:has-text('Regenerate')")
                page.locator("#new-api-key").wait_for()
                settle(page)
                page.screenshot(path=OUT / "settings.png")

                page.goto("/library/characters/aria_vale")
                settle(page)
                page.screenshot(path=OUT / "library-detail.png")

                page.goto("/presets/example_03/edit")
                settle(page)
                page.screenshot(path=OUT / "preset-editor.png")

                page.goto("/generator?from=example_01")
                settle(page)
                page.screenshot(path=OUT / "generator.png")

                page.goto(f"/grids/{grid_id}")
                settle(page)
                page.screenshot(path=OUT / "grid.png")

                page.goto("/pnginfo")
                page.locator("[data-pnginfo-file]").set_input_files(
                    {"name": "gaze.png", "mimeType": "image/png", "buffer": own_png}
                )
                page.locator("[data-pnginfo-result]").wait_for()
                settle(page)
                page.screenshot(path=OUT / "pnginfo.png")

                phone = browser.new_context(
                    base_url=server.url,
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=2,
                    is_mobile=True,
                    has_touch=True,
                )
                mobile = phone.new_page()
                mobile.goto("/")
                settle(mobile)
                mobile.screenshot(path=OUT / "presets-phone.png")
                mobile.goto("/presets/example_01")
                settle(mobile)
                mobile.screenshot(path=OUT / "preset-phone.png")
                phone.close()
                context.close()
        finally:
            server.stop()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
