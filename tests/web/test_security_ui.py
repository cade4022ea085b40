"""Settings (the API key), escaping of user text, and cross-site request refusal."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from devkit.server import GazeServer

SCRIPT_NAME = "<script>alert(1)</script>"
IMAGE_NAME = '<img src=x onerror="alert(2)">'


@pytest.fixture
def no_dialogs(page: Page) -> list[str]:
    """Every dialog a page opens (an injected alert would land here)."""
    opened: list[str] = []

    def record(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def test_regenerate_the_api_key_and_use_it(page: Page, ui_server: GazeServer) -> None:
    old_key = ui_server.api_key
    page.goto("/settings")
    expect(page.locator("#api-key-state")).to_contain_text("A key exists, created")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#api-key button:has-text('Regenerate')")
    new_key = page.locator("#new-api-key").input_value()
    assert new_key.startswith("gz_") and new_key != old_key
    ui_server.api_key = new_key
    presets = httpx.get(f"{ui_server.url}/api/v1/presets", headers={"X-API-Key": new_key})
    assert presets.status_code == 200
    assert "example_01" in [preset["slug"] for preset in presets.json()["presets"]]
    stale = httpx.get(f"{ui_server.url}/api/v1/presets", headers={"X-API-Key": old_key})
    assert stale.status_code == 403
    page.reload()  # shown once only
    expect(page.locator("#new-api-key")).to_have_count(0)


def test_settings_show_backends_defaults_and_paths(page: Page, ui_server: GazeServer) -> None:
    page.goto("/settings")
    expect(page.locator("#backends tbody tr")).to_contain_text("local")
    expect(page.locator("#defaults")).to_contain_text("gaze-demo-sd15-tiny.safetensors")
    expect(page.locator("#paths")).to_contain_text(str(ui_server.data_dir))
    lights = page.locator("[data-backend-lights] .light")
    expect(lights).to_have_count(1)
    expect(lights.first).to_have_class("light up")
    secret = page.locator("#webhook-secret").input_value()
    assert secret.startswith("whsec_")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#webhooks button:has-text('Regenerate')")
    expect(page.locator("[data-notice]")).to_contain_text("New webhook secret")
    renewed = page.locator("#webhook-secret").input_value()
    assert renewed.startswith("whsec_") and renewed != secret


def test_a_preset_named_like_a_script_is_shown_as_text(
    page: Page, no_dialogs: list[str], ui_server: GazeServer
) -> None:
    page.goto("/presets/new")
    page.fill("[data-name]", SCRIPT_NAME)
    page.fill("[data-id]", "scripted")
    page.fill('textarea[name="description"]', IMAGE_NAME)
    page.select_option('select[name="checkpoint"]', "gaze-demo-sd15-tiny.safetensors")
    page.fill('textarea[name="positive"]', IMAGE_NAME)
    page.click("[data-save]")
    page.wait_for_url("**/presets/scripted")
    expect(page.locator("h1")).to_have_text(SCRIPT_NAME)
    expect(page.locator(".preset-hero p")).to_have_text(IMAGE_NAME)
    assert page.locator(".preset-hero img[src='x']").count() == 0
    page.goto("/")
    expect(page.locator(".card-title", has_text=SCRIPT_NAME)).to_have_text(SCRIPT_NAME)
    page.goto("/search?q=%3Cscript")
    expect(page.locator(".search-group").first).to_contain_text(SCRIPT_NAME)
    # generated from it: the prompt in the lightbox is text too
    answer = ui_server.post("/api/v1/generate/scripted", json={"width": 64, "height": 64})
    ui_server.wait_for_job(answer.json()["jobs"][0]["job_id"])
    page.goto("/gallery?preset=scripted")
    page.locator("#gallery-grid .thumb").first.click()
    expect(page.locator("[data-lb-title]")).to_have_text(SCRIPT_NAME)
    expect(page.locator("[data-lb-prompt]")).to_contain_text(IMAGE_NAME)
    assert page.locator("[data-lb-side] img").count() == 0
    assert no_dialogs == []


def test_pages_forbid_inline_scripts(ui_server: GazeServer) -> None:
    headers = httpx.get(f"{ui_server.url}/", timeout=30).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"


def test_a_post_without_the_token_is_refused(ui_server: GazeServer) -> None:
    with httpx.Client(base_url=ui_server.url, timeout=30) as client:
        client.get("/")
        token = client.cookies["gaze_csrf"]
        refused = client.post("/presets/example_03/flags", data={"favourite": "1"})
        assert refused.status_code == 403
        wrong = client.post(
            "/presets/example_03/flags", data={"favourite": "1", "csrf_token": "not-it"}
        )
        assert wrong.status_code == 403
        script = client.post("/ui/presets/example_03/generate", json={"count": 1})
        assert script.status_code == 403
        assert "Cross-site request refused" in script.json()["error"]
        accepted = client.post(
            "/presets/example_03/flags",
            json={"favourite": True},
            headers={"X-CSRF-Token": token},
        )
        assert accepted.status_code == 200 and accepted.json()["is_favourite"] is True
    without_cookie = httpx.post(
        f"{ui_server.url}/presets/example_03/flags",
        data={"favourite": "0", "csrf_token": token},
        timeout=30,
    )
    assert without_cookie.status_code == 403


def test_a_form_on_another_site_cannot_change_anything(page: Page, ui_server: GazeServer) -> None:
    page.goto("/settings")  # the browser holds GAZE's cookies
    key_before = httpx.get(
        f"{ui_server.url}/api/v1/presets", headers=ui_server.headers, timeout=30
    ).status_code
    page.goto("about:blank")
    page.set_content(
        f'<form method="post" action="{ui_server.url}/settings/api-key">'
        '<input name="csrf_token" value="guessed"></form>'
    )
    with page.expect_response(lambda r: r.url.endswith("/settings/api-key")) as answer:
        page.evaluate("document.forms[0].submit()")
    assert answer.value.status == 403
    assert key_before == 200
    still = httpx.get(f"{ui_server.url}/api/v1/presets", headers=ui_server.headers, timeout=30)
    assert still.status_code == 200  # the key was not replaced
