"""PNG info in a real browser: an image chosen on the page shows its parameters; an image
dropped on another page (a synthetic drop with a DataTransfer) lands on PNG info with its
parameters; Reproduce queues a job with the image's seed; Open in the Generator carries the
recipe."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from tests.pnginfo import comfyui_graphs
from tests.pnginfo.images import png_with_texts
from tests.support.ids import unique_id

A1111_TEXT = (
    "a lighthouse at dusk\nNegative prompt: fog\nSteps: 2, Sampler: Euler a, "
    "Schedule type: Karras, CFG scale: 5, Seed: 24680, Size: 64x64, "
    "Model: gaze-demo-sd15-tiny"
)

DROP_SCRIPT = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const file = new File([bytes], name, { type: "image/png" });
  const transfer = new DataTransfer();
  transfer.items.add(file);
  const target = document.querySelector("main");
  for (const type of ["dragenter", "dragover", "drop"]) {
    const options = { bubbles: true, cancelable: true, dataTransfer: transfer };
    target.dispatchEvent(new DragEvent(type, options));
  }
}"""


def test_a_chosen_image_shows_its_parameters_and_reproduce_queues_it(
    page: Page, ui_server: GazeServer
) -> None:
    page.goto("/pnginfo")
    expect(page.locator('nav a[href="/pnginfo"]')).to_have_attribute("aria-current", "page")
    page.locator("[data-pnginfo-file]").set_input_files(
        {
            "name": "a1111.png",
            "mimeType": "image/png",
            "buffer": png_with_texts({"parameters": A1111_TEXT}),
        }
    )
    result = page.locator("[data-pnginfo-result]")
    expect(result).to_have_attribute("data-source", "a1111")
    expect(result.locator('[data-parameter="seed"]')).to_have_text("24680")
    expect(result.locator('[data-parameter="sampler"]')).to_have_text("euler_ancestral")
    expect(result.locator('[data-parameter="positive"]')).to_contain_text("a lighthouse at dusk")

    generator = page.locator("[data-pnginfo-generator]").get_attribute("href") or ""
    query = parse_qs(urlsplit(generator).query)
    assert query["seed"] == ["24680"]
    assert json.loads(query["recipe"][0])["checkpoint"] == "gaze-demo-sd15-tiny.safetensors"

    before = ui_server.get("/api/v1/jobs", params={"limit": 200}).json()["jobs"]
    page.locator("[data-pnginfo-reproduce]").click()
    expect(page).to_have_url(f"{ui_server.url}/queue")
    after = ui_server.get("/api/v1/jobs", params={"limit": 200}).json()["jobs"]
    new = [job for job in after if job["id"] not in {old["id"] for old in before}]
    assert len(new) == 1
    done = ui_server.wait_for_job(new[0]["id"])
    assert done["result"]["seed"] == 24680


def test_open_in_the_generator_carries_the_prompt_and_seed(page: Page) -> None:
    page.goto("/pnginfo")
    page.locator("[data-pnginfo-file]").set_input_files(
        {
            "name": "a.png",
            "mimeType": "image/png",
            "buffer": png_with_texts({"parameters": A1111_TEXT}),
        }
    )
    page.locator("[data-pnginfo-generator]").click()
    expect(page).to_have_url(re.compile(r"/generator\?"))
    expect(page.locator('[data-resolved="prompt"]')).to_contain_text("a lighthouse at dusk")
    expect(page.locator('[data-resolved="negative"]')).to_contain_text("fog")


def test_save_as_preset_opens_the_new_preset(page: Page) -> None:
    name = f"From PNG {unique_id()}"
    page.goto("/pnginfo")
    page.locator("[data-pnginfo-file]").set_input_files(
        {
            "name": "a.png",
            "mimeType": "image/png",
            "buffer": png_with_texts({"parameters": A1111_TEXT}),
        }
    )
    page.locator('input[name="preset_name"]').fill(name)
    page.locator("[data-pnginfo-save]").click()
    expect(page).to_have_url(re.compile(r"/presets/from_png_"))
    expect(page.locator("h1")).to_contain_text(name)


def test_an_image_dropped_on_another_page_shows_its_parameters(page: Page) -> None:
    data = png_with_texts({"prompt": json.dumps(comfyui_graphs.with_two_loras())})
    page.goto("/gallery")
    with page.expect_navigation():
        page.evaluate(DROP_SCRIPT, [base64.b64encode(data).decode(), "comfy.png"])
    expect(page).to_have_url(re.compile(r"/pnginfo$"))
    result = page.locator("[data-pnginfo-result]")
    expect(result).to_have_attribute("data-source", "comfyui")
    expect(result.locator('[data-parameter="seed"]')).to_have_text("156680208700286")
    expect(result.locator('[data-parameter="loras"]')).to_contain_text("add_detail.safetensors")
    expect(page.locator("[data-pnginfo-warnings]")).to_contain_text("v1-5-pruned-emaonly")


def test_an_image_without_parameters_says_so(page: Page) -> None:
    page.goto("/pnginfo")
    page.locator("[data-pnginfo-file]").set_input_files(
        {"name": "plain.png", "mimeType": "image/png", "buffer": png_with_texts({})}
    )
    expect(page.locator("[data-problems]")).to_contain_text("carries no generation parameters")
