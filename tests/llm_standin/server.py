"""The stand-in served from a thread on a free loopback port: `POST /v1/chat/completions`
and `GET /v1/models`, answered as `script` says."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.llm_standin.protocol import (
    ProtocolError,
    check_auth,
    check_request,
    completion,
    error_body,
    forced_tool,
    invalid,
    stream_chunks,
)
from tests.llm_standin.script import Failure, LlmScript


class LlmStandIn:
    """``with LlmStandIn() as llm: ... llm.url`` (without /v1), ``llm.script``."""

    def __init__(self, script: LlmScript | None = None) -> None:
        self.script = script or LlmScript()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LlmStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self, **settings: Any) -> LlmScript:
        """A fresh script (with these settings) for the next test."""
        self.script = LlmScript(**settings)
        return self.script

    def __enter__(self) -> LlmStandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _handler_for(standin: LlmStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            script = standin.script
            try:
                check_auth(script, self.headers.get("Authorization"))
            except ProtocolError as error:
                self._fail(error.failure)
                return
            if self.path.rstrip("/") != "/v1/models":
                self._fail(Failure(404, f"Unknown path {self.path}", "invalid_request_error"))
                return
            model = {"id": script.model, "object": "model", "created": 0, "owned_by": "standin"}
            self._json(200, {"object": "list", "data": [model]})

        def do_POST(self) -> None:
            script = standin.script
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            with script.lock:
                script.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
            try:
                if self.path != "/v1/chat/completions":
                    raise ProtocolError(
                        Failure(404, f"Unknown path {self.path}", "invalid_request_error")
                    )
                check_auth(script, self.headers.get("Authorization"))
                if body is None:
                    raise invalid("We could not parse the JSON body of your request.")
                check_request(script, body)
            except ProtocolError as error:
                self._fail(error.failure)
                return
            failure = script.next_failure()
            if failure is not None:
                self._fail(failure)
                return
            time.sleep(script.delay_seconds)
            answer = script.next_answer()
            tool = forced_tool(body) if "tools" in body else None
            if body.get("stream"):
                self._stream(script, answer, tool)
            else:
                self._json(200, completion(script, answer, tool))

        def _stream(self, script: LlmScript, answer: str, tool: str | None) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for chunk in stream_chunks(script, answer, tool):
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    time.sleep(script.chunk_delay_seconds)
            except (BrokenPipeError, ConnectionResetError):
                with script.lock:
                    script.disconnects += 1

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

        def _fail(self, failure: Failure) -> None:
            headers = {"Content-Type": "application/json", **failure.headers}
            self._send(failure.status, error_body(failure), headers)

        def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)
                with standin.script.lock:
                    standin.script.answered += 1

    return Handler
