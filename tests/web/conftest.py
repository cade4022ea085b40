"""Fixtures of the browser tests: one real server and one chromium per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.support.server import GazeServer
from tests.web.browser import chromium

NETWORK_NOISE = ("Failed to load resource", "EventSource")
"""Console lines about HTTP answers (a refused form is a 400 on purpose), not script errors."""


@pytest.fixture(scope="module")
def ui_server(
    prepared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GazeServer]:
    """A `gaze serve` of this module alone (UI tests change data: keys, presets, images)."""
    data_dir = tmp_path_factory.mktemp("ui") / "data"
    shutil.copytree(prepared_data, data_dir, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    running = GazeServer(data_dir, env={"GAZE_AUTH_FAILURE_LIMIT": "1000"}).start()
    running.regenerate_key()
    yield running
    running.stop()


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
