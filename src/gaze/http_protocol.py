"""The HTTP/1.1 protocol `gaze serve` gives uvicorn: uvicorn's httptools protocol, plus

- a deadline for the request head: a client gets `header_timeout_seconds` from its first byte
  (or from connecting) to finish the request line and headers, else `408` and the connection
  is closed (uvicorn itself has no such timeout; its keep-alive timeout still closes idle
  connections between requests);
- absolute-form request targets (``GET http://other.example/x``) take their host from the
  target, as RFC 9112 says, so the Host check judges the name actually asked for.
"""

from __future__ import annotations

import asyncio
import json

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_SECONDS = 10.0


def _timeout_response() -> bytes:
    body = json.dumps(
        {"error": "the request headers arrived too slowly", "code": "request_timeout"}
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedHttpProtocol(HttpToolsProtocol):
    head_timeout: float = HEADER_TIMEOUT_SECONDS

    _head_timer: asyncio.TimerHandle | None = None
    _head_started = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_started = True
        if self._head_timer is None:
            self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        self._head_started = False
        self._take_host_from_absolute_target()
        super().on_headers_complete()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete
        if self._head_started and not answering:
            self.transport.write(_timeout_response())
        self.transport.close()

    def _take_host_from_absolute_target(self) -> None:
        if self.url.startswith(b"/") or self.url == b"*":
            return
        try:
            host = httptools.parse_url(self.url).host or b""
        except httptools.HttpParserInvalidURLError:
            host = b""
        if _has_userinfo(self.url):
            host = b""  # refused: which host "a@b" means is a trick question
        elif b":" in host:
            host = b"[" + host + b"]"
        self.headers[:] = [(name, value) for name, value in self.headers if name != b"host"]
        self.headers.append((b"host", host))


def _has_userinfo(url: bytes) -> bool:
    authority = url.partition(b"://")[2].split(b"/", 1)[0]
    return b"@" in authority


def guarded_protocol(head_timeout: float) -> type[GuardedHttpProtocol]:
    """The protocol class for uvicorn's `http=` with this head deadline."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"head_timeout": head_timeout})
