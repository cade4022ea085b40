"""A webhook receiver for the tests: a real HTTP(S) server on loopback that records requests
and answers with the status codes it is told to."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class WebhookReceiver:
    def __init__(
        self,
        statuses: list[int] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        location: str | None = None,
    ) -> None:
        self.received: list[Received] = []
        self.statuses = list(statuses or [])
        """Answered in turn, then 200 for every further request."""
        self.location = location
        """Sent as `Location` with every answer (to offer a redirect)."""
        self.server_names: list[str | None] = []
        """The TLS server name (SNI) of each handshake, when serving TLS."""
        self.scheme = "https" if tls else "http"
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = self._record_server_name
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._server.handle_error = lambda *args: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _record_server_name(
        self, _socket: ssl.SSLObject, server_name: str | None, _context: ssl.SSLContext
    ) -> None:
        with self._lock:
            self.server_names.append(server_name)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return self.url_for("127.0.0.1")

    def url_for(self, host: str) -> str:
        """This receiver's URL under another host name (which must lead to 127.0.0.1)."""
        return f"{self.scheme}://{host}:{self.port}/hook"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, check: Callable[[list[Received]], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if check(list(self.received)):
                    return
            time.sleep(0.05)
        raise TimeoutError(f"the receiver got {len(self.received)} requests; not what was awaited")
