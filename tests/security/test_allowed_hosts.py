"""DNS rebinding: only the host names GAZE is meant to be reached by get an answer."""

from __future__ import annotations

import httpx
import pytest

from devkit.server import GazeServer
from gaze.security.allowed_hosts import AllowedHosts, UnreadableHost, host_name
from gaze.settings import Settings
from tests.support.raw_http import exchange, status_of

PATHS = ["/settings", "/api/v1/presets", "/static/uploads/none.png", "/assets/gaze.css", "/docs"]
HOSTILE = [
    "evil.example",
    "127.0.0.1.evil.example",
    "localhost.evil",
    "evil.example@127.0.0.1",
    "127.0.0.1@evil.example",
    "127.0.0.1:80:80",
    "127.0.0.1/x",
    "[::1",
    "[evil]",
    "",
    "2130706433",
    "0.0.0.0",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", HOSTILE)
def test_a_foreign_host_is_refused_before_routing(
    edge_server: GazeServer, path: str, host: str
) -> None:
    answer = httpx.get(f"{edge_server.url}{path}", headers={"Host": host}, timeout=30)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "host_not_allowed"
    assert "GAZE_ALLOWED_HOSTS" in body["error"]


def test_the_refusal_names_the_host(edge_server: GazeServer) -> None:
    answer = httpx.get(f"{edge_server.url}/settings", headers={"Host": "evil.example"})
    assert "'evil.example'" in answer.json()["error"]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:{port}",
        "LOCALHOST:{port}",
        "localhost.",
        "127.9.8.7",
        "[::1]:{port}",
    ],
)
def test_loopback_names_are_answered(edge_server: GazeServer, host: str) -> None:
    headers = {**edge_server.headers, "Host": host.format(port=edge_server.port)}
    for path in ("/settings", "/api/v1/presets", "/assets/gaze.css"):
        assert httpx.get(f"{edge_server.url}{path}", headers=headers).status_code == 200


def test_a_missing_host_on_http_1_1_is_refused(edge_server: GazeServer) -> None:
    answer = exchange(edge_server.port, b"GET /settings HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 400
    assert b"host_not_allowed" in answer


def test_two_host_headers_are_refused(edge_server: GazeServer) -> None:
    answer = exchange(
        edge_server.port,
        b"GET /settings HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert status_of(answer) == 400


@pytest.mark.parametrize(
    "target",
    [b"http://evil.example/settings", b"http://a@127.0.0.1/settings", b"http://evil.example:80/"],
)
def test_an_absolute_target_naming_another_host_is_refused(
    edge_server: GazeServer, target: bytes
) -> None:
    request = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = exchange(edge_server.port, request)
    assert status_of(answer) == 400
    assert b"host_not_allowed" in answer


def test_an_absolute_target_naming_loopback_is_answered(edge_server: GazeServer) -> None:
    request = (
        f"GET http://127.0.0.1:{edge_server.port}/assets/gaze.css HTTP/1.1\r\n"
        "Host: whatever.example\r\nConnection: close\r\n\r\n"
    ).encode()
    assert status_of(exchange(edge_server.port, request)) == 200


def test_an_exposed_server_answers_its_allowed_names(proxied_server: GazeServer) -> None:
    def status(host: str) -> int:
        headers = {**proxied_server.headers, "Host": host}
        return httpx.get(f"{proxied_server.url}/api/v1/presets", headers=headers).status_code

    assert status("gaze.example") == 200
    assert status("GAZE.EXAMPLE.:443") == 200
    assert status("ui.gaze.test") == 200
    assert status("gaze.test") == 400  # `*.gaze.test` is its subdomains only
    assert status("evil.example") == 400
    assert status("gaze.example.evil") == 400
    login = httpx.get(f"{proxied_server.url}/login", headers={"Host": "gaze.example"})
    assert login.status_code == 200


def test_host_names_are_read_carefully() -> None:
    assert host_name("Example.COM.:8080") == "example.com"
    assert host_name("[::1]:80") == "::1"
    assert host_name("[0:0:0:0:0:0:0:1]") == "::1"
    for junk in ("a@b", "a b", "a:", "a:99999x", "[::1]x", "a/b", "", "a..b", "-a"):
        with pytest.raises(UnreadableHost):
            host_name(junk)


def test_loopback_names_are_allowed_only_when_bound_to_loopback_or_everywhere() -> None:
    lan = AllowedHosts.for_settings(Settings(host="192.168.1.20", allowed_hosts="gaze.lan"))
    assert lan.allows("192.168.1.20:5782") and lan.allows("gaze.lan")
    assert not lan.allows("localhost") and not lan.allows("127.0.0.1")
    everywhere = AllowedHosts.for_settings(Settings(host="0.0.0.0"))
    assert everywhere.allows("127.0.0.1") and not everywhere.allows("0.0.0.0")
    with pytest.raises(UnreadableHost, match="GAZE_ALLOWED_HOSTS"):
        AllowedHosts.for_settings(Settings(allowed_hosts="ok.example, bad host"))
