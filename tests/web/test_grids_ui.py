"""Grids in the browser: the builder makes a 2x2 grid, the viewer follows it to its sheet, zooms,
pans and opens a cell in the lightbox; refusals show inline; a resource's strength sweep button;
and the UI routes' answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from tests.grids.test_grids_api import wait_for_grid
from tests.grids.test_strength_sweep_api import LORA, add_style, sweep_data
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers
from tests.support.ids import unique_id

FINISHED_TIMEOUT = 240_000


@pytest.fixture(scope="module")
def ui_server(
    gaze_servers: GazeServers, prepared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GazeServer]:
    """This module's server, with a tiny LoRA a style can sweep."""
    data = sweep_data(prepared_data, tmp_path_factory.mktemp("grids_ui"))
    with gaze_servers.running(data_dir=data, env=SHARED_SERVER_ENV) as running:
        yield running


def token(page: Page) -> str:
    return str(page.locator('meta[name="csrf-token"]').get_attribute("content"))


def zoom(page: Page) -> float:
    return float(page.locator("[data-grid-viewer]").get_attribute("data-zoom") or "nan")


def stage_transform(page: Page) -> str:
    return str(page.locator("[data-grid-stage]").evaluate("node => node.style.transform"))


def test_build_a_2x2_grid_watch_it_finish_zoom_and_open_a_cell(page: Page) -> None:
    page.goto("/presets/example_01")
    page.click("[data-make-grid]")
    expect(page).to_have_url(re.compile(r"/grids/new\?preset=example_01$"))
    expect(page.locator("[data-grid-preset]")).to_have_value("example_01")
    for name, value in (("seed", "5"), ("width", "64"), ("height", "64")):
        page.fill(f'[data-grid-option="{name}"]', value)
    x_axis, y_axis = page.locator('[data-axis="x"]'), page.locator('[data-axis="y"]')
    x_axis.locator("[data-axis-kind]").select_option("cfg")
    x_axis.locator("[data-axis-text]").fill("4, 7")
    expect(page.locator("[data-cell-count]")).to_have_text("2")
    y_axis.locator("[data-axis-kind]").select_option("sampler")
    y_axis.locator("[data-axis-multi]").select_option(["euler", "euler_ancestral"])
    expect(page.locator("[data-cell-count]")).to_have_text("4")
    page.click("[data-grid-submit]")
    expect(page).to_have_url(re.compile(r"/grids/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_have_text("Preset: example_01")
    sheets = page.locator("[data-grid-sheets]")
    expect(sheets).to_be_visible(timeout=FINISHED_TIMEOUT)
    expect(page.locator("[data-grid-progress]")).to_be_hidden()
    cells = page.locator("[data-grid-overlay] .grid-cell")
    expect(cells).to_have_count(4)
    expect(page.locator("[data-grid-sheet-image]")).to_have_js_property("complete", True)
    assert page.locator("[data-grid-sheet-image]").evaluate("img => img.naturalWidth") > 128

    page.click('[data-zoom="actual"]')
    assert zoom(page) == 1
    page.click('[data-zoom="in"]')
    assert zoom(page) == 1.25
    page.click('[data-zoom="out"]')
    assert zoom(page) == 1
    viewport = page.locator("[data-grid-viewport]")
    viewport.hover()
    page.mouse.wheel(0, -200)
    page.wait_for_function(
        "() => Number(document.querySelector('[data-grid-viewer]').dataset.zoom) > 1"
    )
    before = stage_transform(page)
    box = viewport.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80, steps=5)
    page.mouse.up()
    assert stage_transform(page) != before
    expect(page.locator("[data-lightbox]")).to_be_hidden()
    page.click('[data-zoom="fit"]')
    assert zoom(page) <= 1

    second = cells.nth(1)
    assert second.get_attribute("title") == "CFG: 7, Sampler: euler (done)"
    second.click()
    lightbox = page.locator("[data-lightbox]")
    expect(lightbox).to_be_visible()
    expect(lightbox.locator("[data-lb-image]")).to_have_attribute(
        "src", re.compile(r"/static/uploads/presets/example_01/.+\.png$")
    )
    expect(lightbox.locator("[data-lb-facts]")).to_contain_text("7")


def test_the_builder_counts_cells_and_shows_the_services_refusals(page: Page) -> None:
    page.goto("/grids/new")
    x_axis, y_axis = page.locator('[data-axis="x"]'), page.locator('[data-axis="y"]')
    x_axis.locator("[data-axis-kind]").select_option("seed")
    x_axis.locator("[data-axis-text]").fill("random 11")
    y_axis.locator("[data-axis-kind]").select_option("steps")
    y_axis.locator("[data-axis-text]").fill("1, 2, 3, 4, 5, 6, 7, 8, 9, 10")
    count = page.locator("[data-cell-count]")
    expect(count).to_have_text("110")
    expect(count).to_have_class(re.compile("over"))
    errors = page.locator("[data-grid-errors]")
    page.click("[data-grid-submit]")
    expect(errors).to_contain_text("makes 110 cells; at most 100")
    y_axis.locator("[data-axis-kind]").select_option("")
    x_axis.locator("[data-axis-kind]").select_option("steps")
    x_axis.locator("[data-axis-text]").fill("0, 10")
    page.click("[data-grid-submit]")
    expect(errors).to_contain_text("axis x: steps value 0")
    x_axis.locator("[data-axis-text]").fill("1, two")
    expect(errors).to_contain_text("“two” is not a whole number")
    expect(count).to_have_text("0")
    x_axis.locator("[data-axis-kind]").select_option("lora_weight")
    x_axis.locator("[data-axis-text]").fill("from 0 to 1 in 5 steps")
    expect(count).to_have_text("5")
    expect(errors).to_be_hidden()
    assert page.url.endswith("/grids/new")


def test_the_strength_sweep_button_on_a_resource_page(page: Page, ui_server: GazeServer) -> None:
    style_id = unique_id("sweep_ink")
    add_style(ui_server, style_id, {"file": LORA, "weight": {"min": 0.25, "max": 0.75}})
    page.goto(f"/library/styles/{style_id}")
    panel = page.locator("#strength-sweeps")
    expect(panel.locator("[data-sweep-list]")).to_have_text("No strength sweeps yet.")
    panel.locator('input[name="steps"]').fill("2")
    panel.locator('input[name="seeds"]').fill("1")
    panel.locator("[data-sweep-button]").click()
    expect(page).to_have_url(re.compile(r"/grids/[0-9a-f-]{36}$"))
    grid_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("h1")).to_have_text(f"Strength sweep: style {style_id}")
    expect(page.locator("[data-grid-sheets]")).to_be_visible(timeout=FINISHED_TIMEOUT)
    expect(page.locator("[data-grid-overlay] .grid-cell")).to_have_count(2)
    page.goto(f"/library/styles/{style_id}")
    card = panel.locator(f'[data-grid-card="{grid_id}"]')
    expect(card).to_be_visible()
    expect(card.locator("img")).to_have_attribute("src", f"/static/uploads/grids/{grid_id}_z0.png")
    card.locator("a").click()
    expect(page).to_have_url(re.compile(f"/grids/{grid_id}$"))


def test_a_resource_without_a_lora_has_no_sweep_button(page: Page) -> None:
    page.goto("/library/styles/watercolor")
    panel = page.locator("#strength-sweeps")
    expect(panel).to_contain_text("Give this style a LoRA")
    expect(panel.locator("[data-sweep-button]")).to_have_count(0)


def test_ui_routes_answer_json_to_scripts(page: Page, ui_server: GazeServer) -> None:
    page.goto("/grids")
    expect(page.locator('nav a[href="/grids"]')).to_have_attribute("aria-current", "page")
    headers = {"X-CSRF-Token": token(page), "Accept": "application/json"}
    bad = page.request.post("/grids/new", headers=headers, data={"preset": "example_01"})
    assert bad.status == 400
    assert bad.json()["code"] == "empty_grid"
    unknown = page.request.post(
        "/grids/new",
        headers=headers,
        data={"preset": "nope", "x": {"axis": "seed", "values": [1]}},
    )
    assert (unknown.status, unknown.json()["code"]) == (404, "preset_not_found")
    no_lora = page.request.post("/grids/sweep/styles/watercolor", headers=headers, form={})
    assert (no_lora.status, no_lora.json()["code"]) == (400, "no_lora")
    missing = page.request.post("/grids/sweep/styles/no_such", headers=headers, form={})
    assert (missing.status, missing.json()["code"]) == (404, "style_not_found")
    bad_count = page.request.post(
        "/grids/sweep/styles/watercolor", headers=headers, form={"seeds": "many"}
    )
    assert bad_count.status == 400
    assert page.request.get("/grids/no-such-grid/state").status == 404
    assert page.request.get("/grids/sweeps/nowhere/x").status == 404

    made = page.request.post(
        "/grids/new",
        headers=headers,
        data={
            "preset": "example_01",
            "seed": 3,
            "width": 64,
            "height": 64,
            "x": {"axis": "steps", "values": [2, 3]},
        },
    )
    assert made.status == 200, made.text()
    grid_id = made.json()["grid_id"]
    assert made.json()["url"] == f"/grids/{grid_id}"
    wait_for_grid(ui_server, grid_id)
    state = page.request.get(f"/grids/{grid_id}/state").json()
    image_ids = [cell["image_id"] for cell in state["cells"]]
    assert all(isinstance(image_id, int) for image_id in image_ids), state["cells"]
    detail = page.request.get(f"/ui/images/{image_ids[0]}").json()
    assert detail["seed"] == "3"
    page.goto("/grids")
    first = page.locator("[data-grid-card]").first
    assert first.get_attribute("data-grid-card") == grid_id
    expect(first).to_contain_text("x: steps ×2")
    api = httpx.get(f"{ui_server.url}/api/v1/grid/{grid_id}", headers=ui_server.headers)
    assert api.json()["sheets"][0]["image_url"] == first.locator("img").get_attribute("src")
