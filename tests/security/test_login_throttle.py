"""Wrong passwords are slowed per address and per account; the right one always logs in."""

from __future__ import annotations

import time

import httpx

from devkit.server import GazeServer
from tests.support.gaze_servers import PROXIED_PASSWORD


def _attempt(server: GazeServer, password: str, address: str) -> httpx.Response:
    headers = {"Host": "gaze.example", "X-Forwarded-For": address}
    with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
        client.get("/login")
        token = client.cookies["gaze_csrf"]
        return client.post("/login", data={"password": password, "csrf_token": token})


def test_the_right_password_logs_in_after_many_wrong_ones(proxied_server: GazeServer) -> None:
    statuses = [_attempt(proxied_server, "wrong", "198.51.100.50").status_code for _ in range(7)]
    assert statuses == [401] * 4 + [429] * 3  # from the 5th on, the answer says: wait
    slowed = _attempt(proxied_server, "wrong again", "198.51.100.50")
    assert slowed.status_code == 429
    assert int(slowed.headers["Retry-After"]) >= 8
    assert "Too many wrong passwords" in slowed.text
    started = time.monotonic()
    right = _attempt(proxied_server, PROXIED_PASSWORD, "198.51.100.50")
    assert right.status_code == 303, right.text
    assert "gaze_session" in right.cookies
    assert time.monotonic() - started >= 7  # it waited its turn, and was not refused
    # the address starts afresh after logging in
    assert _attempt(proxied_server, "wrong", "198.51.100.50").status_code == 401


def test_guessing_from_many_addresses_slows_the_account_but_not_the_admin(
    proxied_server: GazeServer,
) -> None:
    statuses = [
        _attempt(proxied_server, "wrong", f"203.0.113.{number}").status_code for number in range(21)
    ]
    assert statuses[-1] == 429  # the account is being guessed: wrong answers are slowed
    right = _attempt(proxied_server, PROXIED_PASSWORD, "192.0.2.99")
    assert right.status_code == 303
