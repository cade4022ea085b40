"""/docs renders Swagger UI from GAZE's own files, with every other host blocked."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Route, expect

from devkit.server import GazeServer


def test_the_api_docs_render_with_the_network_blocked(
    browser: Browser, ui_server: GazeServer
) -> None:
    context = browser.new_context(base_url=ui_server.url)
    outside: list[str] = []
    origin = urlsplit(ui_server.url).netloc

    def only_the_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/docs")
    generate = page.locator(".opblock", has_text="/api/v1/generate/{preset_slug}")
    expect(generate.first).to_be_visible(timeout=20_000)
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    context.close()
    assert not outside, f"/docs asked other hosts: {outside}"
    assert not errors, errors


def test_the_docs_page_has_a_policy_naming_its_script(ui_server: GazeServer) -> None:
    """Its inline start script is allowed by its hash, not by 'unsafe-inline'."""
    answer = httpx.get(f"{ui_server.url}/docs", timeout=30)
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    script_sources = next(part for part in policy.split(";") if "script-src" in part)
    assert "'sha256-" in script_sources and "unsafe-inline" not in script_sources
    assert "cdn" not in answer.text and "/assets/docs/swagger-ui-bundle.js" in answer.text
    bundle = httpx.get(f"{ui_server.url}/assets/docs/swagger-ui-bundle.js", timeout=30)
    assert bundle.status_code == 200 and "SwaggerUIBundle" in bundle.text
