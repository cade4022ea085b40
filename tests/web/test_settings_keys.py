"""Settings -> Named keys in a browser: make a key (its secret shown once), see it listed with
its limits and use, revoke it; refused forms say why; the forms need the CSRF token."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from devkit.server import GazeServer


def _api(server: GazeServer, path: str, secret: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1{path}", headers={"X-API-Key": secret}, timeout=30)


def _make_key(page: Page, name: str, *, scopes: tuple[str, ...] = ("read",)) -> None:
    page.goto("/settings#named-keys")
    form = page.locator("[data-new-key-form]")
    form.locator('input[name="name"]').fill(name)
    for box in form.locator('input[name="scopes"]').all():
        box.set_checked(box.get_attribute("value") in scopes)
    form.locator("button[type=submit]").click()


def test_make_a_named_key_use_it_and_revoke_it(page: Page, ui_server: GazeServer) -> None:
    page.goto("/settings")
    expect(page.locator("[data-no-named-keys]")).to_be_visible()
    form = page.locator("[data-new-key-form]")
    form.locator('input[name="name"]').fill("Kitchen display")
    form.locator('input[name="scopes"][value="generate"]').check()
    form.locator('input[name="daily_quota"]').fill("5")
    form.locator('input[name="rate_per_minute"]').fill("30")
    form.locator('input[name="sfw_only"]').check()
    form.locator("button[type=submit]").click()

    expect(page.locator("[data-notice]")).to_contain_text("Made the key 'Kitchen display'")
    secret = page.locator("#new-named-key").input_value()
    assert secret.startswith("gz_") and secret != ui_server.api_key
    row = page.locator("[data-named-keys] tbody tr", has_text="Kitchen display")
    expect(row).to_contain_text("read")
    expect(row).to_contain_text("generate")
    expect(row).to_contain_text("SFW only")
    expect(row).to_contain_text("5/day")
    expect(row).to_contain_text("30/min")
    expect(row.locator("[data-key-status]")).to_have_text("active")
    expect(row.locator("[data-key-requests]")).to_have_text("0")
    assert secret not in row.inner_text()

    assert _api(ui_server, "/presets", secret).status_code == 200
    refused = _api(ui_server, "/keys", secret)
    assert refused.status_code == 403 and refused.json()["code"] == "scope_required"
    stored = _api(ui_server, "/keys", ui_server.api_key).json()["keys"]
    made = next(key for key in stored if key["name"] == "Kitchen display")
    assert made["scopes"] == ["read", "generate"] and made["sfw_only"] is True
    assert made["daily_quota"] == 5 and made["rate_per_minute"] == 30

    page.reload()  # shown once only
    expect(page.locator("#new-named-key")).to_have_count(0)
    assert secret not in page.content()

    deadline = time.monotonic() + 30  # use is written back every few seconds
    requests = row.locator("[data-key-requests]")
    while requests.inner_text() == "0" and time.monotonic() < deadline:
        time.sleep(1)
        _api(ui_server, "/presets", ui_server.api_key)  # API traffic lets the server flush
        page.reload()
    expect(requests).to_have_text("2")  # the two API calls above

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Revoke')").click()
    expect(page.locator("[data-notice]")).to_contain_text("Revoked 'Kitchen display'")
    expect(row.locator("[data-key-status]")).to_have_text("revoked")
    expect(row.locator("button:has-text('Revoke')")).to_have_count(0)
    gone = _api(ui_server, "/presets", secret)
    assert gone.status_code == 403 and gone.json()["code"] == "invalid_api_key"


def test_a_key_without_scopes_or_with_a_bad_quota_is_refused_with_the_reason(
    page: Page, ui_server: GazeServer
) -> None:
    _make_key(page, "No scopes at all", scopes=())
    expect(page.locator("[data-notice].error")).to_contain_text("No key made: scopes:")
    expect(page.locator("#new-named-key")).to_have_count(0)

    page.locator('[data-new-key-form] input[name="name"]').fill("Huge quota")
    page.locator('[data-new-key-form] input[name="daily_quota"]').fill("999999999")
    page.locator("[data-new-key-form] button[type=submit]").click()
    expect(page.locator("[data-notice].error")).to_contain_text("daily_quota")
    names = [key["name"] for key in _api(ui_server, "/keys", ui_server.api_key).json()["keys"]]
    assert "No scopes at all" not in names and "Huge quota" not in names


def test_a_key_named_like_a_script_is_shown_as_text(page: Page, ui_server: GazeServer) -> None:
    name = "<img src=x onerror=alert(1)>"
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    _make_key(page, name)
    row = page.locator("[data-named-keys] tbody tr", has_text=name)
    expect(row.locator("[data-key-name]")).to_have_text(name)
    assert page.locator("[data-named-keys] img").count() == 0
    assert opened == []


def test_the_key_forms_need_the_csrf_token(ui_server: GazeServer) -> None:
    made = httpx.post(
        f"{ui_server.url}/settings/keys",
        data={"name": "cross-site", "scopes": "admin"},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert made.status_code == 403, made.text
    revoked = httpx.post(f"{ui_server.url}/settings/keys/whatever/revoke", timeout=30)
    assert revoked.status_code == 403
    names = [key["name"] for key in _api(ui_server, "/keys", ui_server.api_key).json()["keys"]]
    assert "cross-site" not in names
