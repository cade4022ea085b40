"""The library, checkpoints and search pages in the browser."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

from devkit.server import GazeServer


def png_file(tmp_path: Path, name: str = "cover.png") -> Path:
    path = tmp_path / name
    Image.new("RGB", (96, 64), (200, 80, 40)).save(path)
    return path


def test_each_category_has_an_index(page: Page) -> None:
    page.goto("/")
    page.click("summary:has-text('Library')")
    page.click(".menu-list >> text=Outfits")
    page.wait_for_url("**/library/outfits")
    expect(page.locator("#resource-cards .card")).to_have_count(3)
    page.fill('.toolbar input[name="tag"]', "outfit_type:outdoor")
    page.press('.toolbar input[name="tag"]', "Enter")
    expect(page.locator("#resource-cards .card")).to_have_count(2)
    for category in ("characters", "looks", "actions", "styles", "scenes", "detailers"):
        page.goto(f"/library/{category}")
        expect(page.locator("h1")).to_have_text(category.capitalize())
        expect(page.locator("#resource-cards .card").first).to_be_visible()


def test_edit_a_resource_fields_defaults_lora_and_flags(page: Page, ui_server: GazeServer) -> None:
    page.goto("/library/characters/aria_vale")
    page.fill('textarea[name="description"]', "Maps the coast, edited.")
    satchel = page.locator(".kv-row", has=page.locator('input[value="satchel"]'))
    satchel.locator('input[type="checkbox"]').check()
    accessories = page.locator(".section-block", has=page.locator('input[value="accessories"]'))
    accessories.locator("[data-add-row]").click()
    new_row = accessories.locator(".kv-row").last
    new_row.locator("input:not([type])").fill("scarf")
    new_row.locator("textarea").fill("red scarf")
    new_row.locator('input[type="checkbox"]').check()
    page.fill('input[name="lora.file"]', "styles/aria.safetensors")
    page.locator("label", has_text="A range").click()
    page.fill('input[name="lora.min"]', "0.6")
    page.fill('input[name="lora.max"]', "0.9")
    page.click("[data-save]")
    expect(page.locator("[data-notice]")).to_contain_text("Saved Aria Vale")
    stored = httpx.get(
        f"{ui_server.url}/api/v1/characters/aria_vale", headers=ui_server.headers, timeout=30
    ).json()
    assert stored["description"] == "Maps the coast, edited."
    assert "accessories::satchel" in stored["default_fields"]
    assert stored["fields"]["accessories"]["scarf"] == "red scarf"
    assert "accessories::scarf" in stored["default_fields"]
    assert stored["lora"]["weight"] == {"min": 0.6, "max": 0.9}
    assert stored["wardrobe"]  # not shown in the form, kept


def test_a_refused_edit_says_why(page: Page) -> None:
    page.goto("/library/looks/freckles_and_glasses")
    page.locator("details.advanced summary").click()
    page.fill("textarea.json-editor", json.dumps({"name": "Bad", "lora": {"weight": "heavy"}}))
    page.click("text=Save JSON")
    expect(page.locator("[data-notice].error")).to_contain_text("lora")


def test_create_duplicate_export_and_delete_a_resource(page: Page, tmp_path: Path) -> None:
    page.goto("/library/scenes/new")
    page.fill("[data-name]", "Rooftop Garden")
    expect(page.locator("[data-id]")).to_have_value("rooftop_garden")
    page.locator(".section-block textarea").first.fill("rooftop, potted plants, city skyline")
    page.locator(".section-block .kv-row input[type=checkbox]").first.check()
    page.fill('textarea[name="tags"]', "scene_type: outdoor")
    page.click("[data-save]")
    page.wait_for_url("**/library/scenes/rooftop_garden")
    expect(page.locator("h1")).to_have_text("Rooftop Garden")
    with page.expect_download() as download:
        page.click("text=Export")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["id"] == "rooftop_garden"
    assert exported["fields"]["main"]["tags"] == "rooftop, potted plants, city skyline"
    page.click("form[action$='/duplicate'] button")
    page.wait_for_url("**/library/scenes/rooftop_garden_copy")
    expect(page.locator("h1")).to_have_text("Rooftop Garden (copy)")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/delete'] button")
    page.wait_for_url("**/library/scenes")
    expect(page.locator("[data-notice]")).to_contain_text("Deleted Rooftop Garden (copy)")


def test_deleting_a_resource_in_use_is_refused(page: Page) -> None:
    page.goto("/library/characters/aria_vale")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/delete'] button")
    expect(page.locator("[data-in-use]")).to_contain_text("used by preset 'example_01'")


def test_import_a_json_file_of_resources(page: Page, tmp_path: Path) -> None:
    upload = tmp_path / "styles.json"
    upload.write_text(
        json.dumps(
            [
                {"id": "neon_pop", "name": "Neon Pop", "fields": {"look": {"tags": "neon"}}},
                {"id": "charcoal", "name": "Charcoal", "fields": {"look": {"tags": "charcoal"}}},
            ]
        )
    )
    page.goto("/library/styles")
    page.set_input_files("[data-import-file]", str(upload))
    expect(page.locator("[data-notice]")).to_contain_text("Imported 2")
    expect(page.locator(".card-title", has_text="Neon Pop")).to_be_visible()


def test_upload_a_cover_and_use_a_generated_image(
    page: Page, ui_server: GazeServer, tmp_path: Path
) -> None:
    page.goto("/library/outfits/rain_jacket")
    page.set_input_files('#cover input[type="file"]', str(png_file(tmp_path)))
    page.click("#cover button:has-text('Upload')")
    expect(page.locator("[data-notice]")).to_contain_text("Cover set")
    cover = page.locator("#cover .cover img")
    src = cover.get_attribute("src") or ""
    assert src.startswith("/static/uploads/covers/outfits/rain_jacket_")
    image = Image.open(io.BytesIO(httpx.get(f"{ui_server.url}{src}", timeout=30).content))
    assert image.size == (96, 64)
    # a preview of the outfit on a chosen character appears in place, then can become the cover
    page.select_option('#preview select[name="character"]', "mira_holt")
    page.fill('#preview input[name="seed"]', "5")
    page.click("#preview button[type=submit]")
    expect(page.locator("[data-preview-results] .tile img")).to_have_count(1, timeout=120_000)
    page.reload()
    strip = page.locator(".pick-strip button")
    expect(strip).to_have_count(1)
    strip.first.click()
    expect(page.locator("[data-notice]")).to_contain_text("Cover set")
    assert "/previews/outfits/rain_jacket/" in (cover.get_attribute("src") or "")
    # the lightbox of a library page sets the cover of that resource, not of a preset
    page.click('#cover form:has(input[name="remove"]) button')
    expect(page.locator("[data-notice]")).to_contain_text("Cover removed")
    page.locator(".panel", has_text="Recent images").locator("img[data-image-id]").first.click()
    page.click('[data-lb="cover"]')
    expect(page.locator(".toast")).to_contain_text("Cover of Rain Jacket set")


def test_an_upload_that_is_not_an_image_is_refused(page: Page, tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    page.goto("/library/actions/waving")
    page.set_input_files('#cover input[type="file"]', str(fake))
    page.click("#cover button:has-text('Upload')")
    expect(page.locator(".empty")).to_contain_text("not an image")


def test_checkpoints_are_listed_and_editable(page: Page) -> None:
    page.goto("/checkpoints")
    row = page.locator("tr", has_text="gaze-demo-sd15-tiny.safetensors")
    expect(row).to_contain_text("512×512")
    row.locator("text=Edit").click()
    page.fill('input[name="steps"]', "12")
    page.fill('input[name="cfg"]', "5.5")
    page.click("text=Save")
    page.wait_for_url("**/checkpoints")
    expect(page.locator("tr", has_text="gaze-demo-sd15-tiny.safetensors")).to_contain_text(
        "12 steps · CFG 5.5"
    )
    page.goto("/presets/example_01")
    expect(page.locator('[data-resolved="sampling"]')).to_contain_text("12 steps")


def test_a_bad_checkpoint_setting_is_refused(page: Page) -> None:
    page.goto("/checkpoints/edit?path=gaze-demo-sd15-tiny.safetensors")
    page.fill('input[name="sampler"]', "euler a!")
    page.click("text=Save")
    expect(page.locator("[data-problems]")).to_contain_text("sampler")
    expect(page.locator('input[name="sampler"]')).to_have_value("euler a!")


def test_search_finds_presets_resources_and_images(page: Page, ui_server: GazeServer) -> None:
    answer = ui_server.post(
        "/api/v1/generate/example_04", json={"width": 64, "height": 64, "extra_positive": "zebra"}
    )
    ui_server.wait_for_job(answer.json()["jobs"][0]["job_id"])
    page.goto("/")
    page.fill('.navbar input[name="q"]', "aria")
    page.press('.navbar input[name="q"]', "Enter")
    page.wait_for_url("**/search?q=aria")
    expect(page.locator(".search-group", has_text="Library")).to_contain_text("Aria Vale")
    page.fill('.toolbar input[name="q"]', "zebra")
    page.press('.toolbar input[name="q"]', "Enter")
    expect(page.locator(".search-group", has_text="Images").locator(".thumb")).to_have_count(1)
    page.fill('.toolbar input[name="q"]', "sketch")
    page.press('.toolbar input[name="q"]', "Enter")
    expect(page.locator(".search-group", has_text="Presets")).to_contain_text("Outdoor Sketchbook")
