"""A GAZE bound beyond loopback asks for the admin password; the API keeps its key."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from devkit.server import GAZE, GazeServer, gaze_env, run_gaze

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def exposed(fresh_module_data: Path) -> Iterator[GazeServer]:
    """`gaze serve --host 0.0.0.0` with GAZE_ADMIN_PASSWORD."""
    running = GazeServer(
        fresh_module_data,
        env={"GAZE_ADMIN_PASSWORD": PASSWORD, "GAZE_AUTH_FAILURE_LIMIT": "1000"},
        extra_args=("--host", "0.0.0.0"),
    ).start()
    running.regenerate_key()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def fresh_module_data(prepared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("exposed") / "data"
    shutil.copytree(prepared_data, target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return target


@pytest.fixture
def visitor(browser: Browser, exposed: GazeServer) -> Iterator[Page]:
    context = browser.new_context(base_url=exposed.url)
    yield context.new_page()
    context.close()


def log_in(page: Page, password: str) -> None:
    page.fill('input[name="password"]', password)
    page.click("button:has-text('Log in')")


def test_pages_ask_for_the_password_and_return_where_you_were(
    visitor: Page, exposed: GazeServer
) -> None:
    visitor.goto("/gallery?fav=1")
    visitor.wait_for_url("**/login?next=*")
    expect(visitor.locator(".navbar")).to_have_count(0)
    log_in(visitor, "wrong password")
    expect(visitor.locator("[role=alert]")).to_have_text("Wrong password.")
    log_in(visitor, PASSWORD)
    visitor.wait_for_url("**/gallery?fav=1")
    expect(visitor.locator("h1")).to_have_text("Gallery")
    session = next(c for c in visitor.context.cookies() if c["name"] == "gaze_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    visitor.goto("/settings")
    expect(visitor.locator("#paths")).to_contain_text("0.0.0.0")
    visitor.click("button:has-text('Log out')")
    visitor.wait_for_url("**/login")
    visitor.goto("/")
    visitor.wait_for_url("**/login?next=*")


def test_scripts_and_forms_without_a_session_are_refused(exposed: GazeServer) -> None:
    with httpx.Client(base_url=exposed.url, timeout=30) as client:
        assert client.get("/ui/status").status_code == 401
        assert client.get("/ui/images/1").status_code == 401
        page = client.get("/presets/example_01")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        client.get("/login")
        token = client.cookies["gaze_csrf"]
        changed = client.post(
            "/presets/example_01/flags", data={"favourite": "1", "csrf_token": token}
        )
        assert changed.status_code == 401
        # a forged session cookie is no session
        client.cookies.set("gaze_session", "9999999999.abc.forged")
        assert client.get("/ui/status").status_code == 401


def test_the_api_keeps_its_key_and_needs_no_login(exposed: GazeServer) -> None:
    assert httpx.get(f"{exposed.url}/api/v1/presets", timeout=30).status_code == 401
    answer = exposed.get("/api/v1/presets")
    assert answer.status_code == 200
    assert "example_01" in [preset["slug"] for preset in answer.json()["presets"]]


def test_the_login_form_needs_its_token(exposed: GazeServer) -> None:
    refused = httpx.post(f"{exposed.url}/login", data={"password": PASSWORD}, timeout=30)
    assert refused.status_code == 403


def test_serve_refuses_to_start_exposed_without_a_password(fresh_data: Path) -> None:
    finished = subprocess.run(
        [GAZE, "serve", "--host", "0.0.0.0", "--port", "1"],
        env=gaze_env(fresh_data),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 2
    assert "Refusing to serve on 0.0.0.0" in finished.stderr
    assert "gaze admin set-password" in finished.stderr


def test_a_password_set_with_the_cli_opens_the_ui(browser: Browser, fresh_data: Path) -> None:
    run_gaze(fresh_data, "admin", "set-password", "--password", "stored secret 42")
    server = GazeServer(fresh_data, extra_args=("--host", "0.0.0.0")).start()
    try:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        page.goto("/")
        page.wait_for_url("**/login?next=*")
        log_in(page, "stored secret 42")
        page.wait_for_url(f"{server.url}/")
        expect(page.locator("h1")).to_have_text("Presets")
        context.close()
    finally:
        server.stop()


def test_set_password_refuses_a_short_one(fresh_data: Path) -> None:
    finished = subprocess.run(
        [GAZE, "admin", "set-password", "--password", "short"],
        env=gaze_env(fresh_data),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 2
    assert "at least 8 characters" in finished.stderr


def test_the_right_password_still_logs_in_after_six_wrong_ones(
    visitor: Page, exposed: GazeServer
) -> None:
    visitor.goto("/login?next=/gallery")
    for attempt in range(6):
        with visitor.expect_navigation(timeout=30_000):
            log_in(visitor, f"wrong guess {attempt}")
        expect(visitor.locator("[role=alert]")).to_contain_text("Wrong password.")
    expect(visitor.locator("[role=alert]")).to_contain_text("the next try waits")
    log_in(visitor, PASSWORD)
    visitor.wait_for_url("**/gallery", timeout=30_000)
    expect(visitor.locator("h1")).to_have_text("Gallery")
