"""Moving a resource to another category from its page, in the browser."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from tests.support.ids import unique_id

CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


def api_call(server: GazeServer, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method, f"{server.url}/api/v1{path}", headers=server.headers, json=body, timeout=30
    )


def detailer_and_preset(server: GazeServer, **slots: Any) -> tuple[str, str]:
    detailer_id = unique_id("sharp")
    api_call(
        server,
        "POST",
        "/detailers",
        {
            "id": detailer_id,
            "name": f"Sharp {detailer_id}",
            "fields": {"detail": {"eyes": "detailed eyes"}},
            "prompt_tags": ["sharp focus"],
        },
    ).raise_for_status()
    preset_id = unique_id("moving")
    api_call(
        server,
        "POST",
        "/presets",
        {
            "id": preset_id,
            "name": f"Preset {preset_id}",
            "checkpoint": CHECKPOINT,
            "detailers": {"mode": "fixed", "id": detailer_id},
            **slots,
        },
    ).raise_for_status()
    return detailer_id, preset_id


def test_move_a_resource_after_seeing_what_would_change(page: Page, ui_server: GazeServer) -> None:
    detailer_id, preset_id = detailer_and_preset(ui_server)
    page.goto(f"/library/detailers/{detailer_id}")
    page.click("[data-move-link]")
    page.select_option('[data-move-picker] select[name="to"]', "styles")
    page.click("[data-move-picker] button[type=submit]")
    preview = page.locator("[data-move-preview]")
    expect(preview.locator("[data-kept]")).to_contain_text("detail::eyes")
    expect(preview.locator("[data-dropped]")).to_have_text("prompt_tags")
    expect(preview.locator("[data-presets-updated]")).to_contain_text(f"Preset {preset_id}")
    expect(preview.locator("[data-presets-updated]")).to_contain_text(
        f"styles: fixed {detailer_id!r}"
    )
    assert api_call(ui_server, "GET", f"/detailers/{detailer_id}").status_code == 200, (
        "the preview changes nothing"
    )

    page.click("[data-confirm-move]")
    page.wait_for_url(f"**/library/styles/{detailer_id}")
    expect(page.locator("[data-notice]")).to_contain_text("Moved Sharp")
    expect(page.locator("[data-notice]")).to_contain_text("1 preset updated")
    expect(page.locator("h1")).to_have_text(f"Sharp {detailer_id}")
    preset = api_call(ui_server, "GET", f"/presets/{preset_id}").json()
    assert preset["detailers"]["mode"] == "none"
    assert (preset["styles"]["mode"], preset["styles"]["id"]) == ("fixed", detailer_id)
    resolved = api_call(ui_server, "POST", f"/presets/{preset_id}/resolve", {"seed": 4})
    assert resolved.status_code == 200, resolved.text
    assert "detailed eyes" in resolved.json()["prompt"]


def test_a_move_that_cannot_be_done_says_why_and_offers_no_confirm(
    page: Page, ui_server: GazeServer
) -> None:
    style_id = unique_id("style")
    api_call(ui_server, "POST", "/styles", {"id": style_id, "name": "Busy"}).raise_for_status()
    detailer_id, preset_id = detailer_and_preset(
        ui_server, styles={"mode": "fixed", "id": style_id}
    )
    page.goto(f"/library/detailers/{detailer_id}/move?to=styles")
    refused = page.locator("[data-move-refused]")
    expect(refused).to_contain_text(f"preset {preset_id!r}")
    expect(refused).to_contain_text("its styles slot is already used")
    expect(page.locator("[data-confirm-move]")).to_have_count(0)
    assert api_call(ui_server, "GET", f"/detailers/{detailer_id}").status_code == 200
