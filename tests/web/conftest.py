"""Fixtures of the browser tests: one real server and one chromium per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from devkit.server import GazeServer
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers
from tests.web.browser import chromium

NETWORK_NOISE = ("Failed to load resource", "EventSource")
"""Console lines about HTTP answers (a refused form is a 400 on purpose), not script errors."""


@pytest.fixture(scope="module")
def ui_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """A `gaze serve` of this module alone (UI tests change data: keys, presets, images)."""
    with gaze_servers.running(name="ui", env=SHARED_SERVER_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, ui_server: GazeServer) -> Iterator[Page]:
    """A fresh browser context on the module's server; a script error fails the test."""
    context = browser.new_context(base_url=ui_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(NETWORK_NOISE):
            errors.append(message.text)

    opened.on("console", console)
    yield opened
    context.close()
    assert not errors, f"script errors on the page: {errors}"
