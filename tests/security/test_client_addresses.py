"""Forwarded headers are believed only from GAZE_TRUSTED_PROXIES; limiters forget by themselves."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import httpx
import pytest

from devkit.server import GAZE, GazeServer, gaze_env
from gaze.security.client_address import limiter_key, trusted_proxies
from gaze.security.failed_keys import FailedKeyLimiter
from gaze.security.failure_window import RecentFailures


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _wrong_key(server: GazeServer, forwarded_for: str, host: str = "127.0.0.1") -> httpx.Response:
    return httpx.get(
        f"{server.url}/api/v1/presets",
        headers={"X-API-Key": "gz_wrong", "X-Forwarded-For": forwarded_for, "Host": host},
        timeout=30,
    )


def test_a_client_cannot_pick_its_own_address(edge_server: GazeServer) -> None:
    statuses = [
        _wrong_key(edge_server, f"203.0.113.{random.randrange(256)}").status_code for _ in range(5)
    ]
    assert statuses == [403, 403, 403, 429, 429]
    assert "127.0.0.1" in _wrong_key(edge_server, "198.51.100.1").json()["error"]
    assert edge_server.get("/api/v1/presets").status_code == 200


def test_a_trusted_proxy_passes_on_the_client_address(proxied_server: GazeServer) -> None:
    first = [
        _wrong_key(proxied_server, "198.51.100.7", "gaze.example").status_code for _ in range(4)
    ]
    assert first == [403, 403, 403, 429]
    assert "198.51.100.7" in _wrong_key(proxied_server, "198.51.100.7", "gaze.example").text
    # another client behind the same proxy is not limited
    assert _wrong_key(proxied_server, "198.51.100.8", "gaze.example").status_code == 403


def test_limiter_entries_expire_on_their_own() -> None:
    clock = FakeClock()
    limiter = FailedKeyLimiter(max_failures=3, window=60, clock=clock)
    for _ in range(3):
        limiter.record_failure("192.0.2.1")
    assert limiter.retry_after("192.0.2.1") == 60
    clock.now += 45
    assert limiter.retry_after("192.0.2.1") == 15
    for number in range(5000):  # many other addresses do not reset this one
        limiter.record_failure(f"10.{number // 256}.{number % 256}.1")
    assert limiter.retry_after("192.0.2.1") == 15
    clock.now += 16
    assert limiter.retry_after("192.0.2.1") is None
    assert len(limiter.failures) == 5000
    clock.now += 60
    assert len(limiter.failures) == 0


def test_a_window_keeps_only_what_it_needs() -> None:
    clock = FakeClock()
    failures = RecentFailures(window=10, keep=3, clock=clock, max_keys=100)
    for _ in range(50):
        failures.record("a")
    assert len(failures.recent("a")) == 3
    for number in range(150):
        clock.now += 0.01
        failures.record(f"client-{number}")
    assert len(failures) == 100  # the quietest ("a", then the oldest clients) went first
    assert failures.recent("a") == []
    assert failures.recent("client-149")


def test_an_ipv6_client_counts_as_its_slash_64() -> None:
    assert limiter_key("2001:db8:1:2::1") == limiter_key("2001:db8:1:2:ffff::9")
    assert limiter_key("2001:db8:1:2::1") != limiter_key("2001:db8:1:3::1")
    assert limiter_key("::ffff:192.0.2.4") == "192.0.2.4"
    assert limiter_key("192.0.2.4") == "192.0.2.4"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert trusted_proxies(" 127.0.0.1, 10.0.0.0/8 ,::1") == ["127.0.0.1", "10.0.0.0/8", "::1"]
    assert trusted_proxies("") == []
    with pytest.raises(ValueError, match=r"proxy\.example"):
        trusted_proxies("10.0.0.1,proxy.example")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("GAZE_TRUSTED_PROXIES", "proxy.example"), ("GAZE_ALLOWED_HOSTS", "bad host")],
)
def test_serve_refuses_settings_it_cannot_read(fresh_data: Path, variable: str, value: str) -> None:
    finished = subprocess.run(
        [GAZE, "serve", "--port", "1"],
        env=gaze_env(fresh_data, **{variable: value}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 2
    assert variable in finished.stderr and value in finished.stderr
