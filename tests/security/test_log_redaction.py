"""The API key never reaches the log, however the query string spells its name."""

from __future__ import annotations

import logging
import sys
import time

import httpx
import pytest

from devkit.server import GazeServer
from gaze.logging_setup import RedactApiKeys, redact

SPELLINGS = ["api_key", "api%5Fkey", "api%5fkey", "%61pi_key", "API_KEY", "Api%5FKey", "api_key+"]


def _log_of(server: GazeServer) -> str:
    return (server.data_dir.parent / f"server-{server.port}.log").read_text()


def test_no_spelling_of_api_key_puts_the_key_in_the_log(edge_server: GazeServer) -> None:
    key = edge_server.api_key
    for spelling in SPELLINGS:
        httpx.get(f"{edge_server.url}/api/v1/presets?{spelling}={key}&x=1", timeout=30)
        httpx.get(f"{edge_server.url}/no/such/page?{spelling}={key}", timeout=30)
    marker = f"/api/v1/presets?{SPELLINGS[-1]}="
    deadline = time.monotonic() + 10
    while marker not in _log_of(edge_server) and time.monotonic() < deadline:
        time.sleep(0.1)
    log = _log_of(edge_server)
    for spelling in SPELLINGS:
        assert f"/api/v1/presets?{spelling}=[redacted]&x=1" in log
    assert key not in log


@pytest.mark.parametrize(
    "line",
    [
        "GET /x?a=1&api%5Fkey=SECRET HTTP/1.1",
        "GET /x?%61%70%69%5F%6B%65%79=SECRET",
        "GAZE_API_KEY=SECRET",
        "X-API-Key: SECRET",
        "headers {'x-api-key': 'SECRET'}",
        "a key gz_AbCdEfGhIjKlMnOpQrStUv0123456789 in a message",
    ],
)
def test_keys_are_redacted_from_any_text(line: str) -> None:
    assert "SECRET" not in redact(line)
    assert "gz_AbCd" not in redact(line)


def test_arguments_and_exceptions_are_redacted_too() -> None:
    try:
        raise ValueError("bad url /x?api%5Fkey=SECRET")
    except ValueError:
        record = logging.LogRecord(
            "any", logging.ERROR, __file__, 1, "request %s", ("/y?API_KEY=SECRET",), None
        )
        record.exc_info = sys.exc_info()
    RedactApiKeys().filter(record)
    formatted = logging.Formatter().format(record)
    assert "SECRET" not in formatted
    assert "ValueError: bad url /x?api%5Fkey=[redacted]" in formatted
