"""Limits on request bodies, for the API and the web UI alike.

Size: 1 MiB under /api/ (an image upload or PNG info: `MAX_UPLOAD_BODY_BYTES`; a wordlist
written under /api/v1/wordlists: `MAX_WORDLIST_BODY_BYTES`; a tag CSV: `MAX_TAG_CSV_BYTES`),
what the web UI says it takes (`page_max_bytes`) elsewhere; 413.
Time: a body must arrive within `BODY_TIMEOUT_SECONDS` (`GAZE_BODY_TIMEOUT_SECONDS`), plus one
second per `BODY_BYTES_PER_EXTRA_SECOND` received, so a slow but honest upload finishes while
a body sent byte by byte is cut off; 408.
JSON nesting: every /api/ body but an image upload or a tag CSV, whatever its Content-Type says,
may nest at most `MAX_JSON_DEPTH` levels; 400 ``invalid_json``.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gaze.asgi_replies import send_json_error
from gaze.library.tag_import import MAX_TAG_CSV_BYTES
from gaze.library.wordlist_schema import MAX_WORDLIST_BYTES
from gaze.media.uploads import MAX_UPLOAD_BYTES

MAX_API_BODY_BYTES = 1024 * 1024
UPLOAD_PATH = "/api/v1/uploads"
IMAGE_BODY_PATHS = frozenset({UPLOAD_PATH, "/api/v1/pnginfo"})
"""The routes that take an image file: an upload, and PNG info."""
MAX_UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
"""The largest upload plus room for its multipart envelope."""
WORDLISTS_PATH = "/api/v1/wordlists"
WORDLIST_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_WORDLIST_BODY_BYTES = MAX_WORDLIST_BYTES
"""A wordlist's document or ``.txt`` lines; the routes check the exact limit themselves."""
TAG_IMPORT_PATH = "/api/v1/tags/import"
"""Takes a tag-autocomplete CSV (not JSON): `MAX_TAG_CSV_BYTES`, no depth check."""
BODY_TIMEOUT_SECONDS = 30.0
BODY_BYTES_PER_EXTRA_SECOND = 32 * 1024
MAX_JSON_DEPTH = 32

_DISCONNECT: Message = {"type": "http.disconnect"}


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (without parsing)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class _GuardedBody:
    """One request's body: counted and timed as the app reads it; past a limit it answers
    408/413 itself and tells the app the client has gone."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int, timeout: float) -> None:
        self._receive = receive
        self._send = send
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._started = time.monotonic()
        self.received = 0
        self.complete = False
        self.refused = False
        self.response_started = False

    def _seconds_left(self) -> float:
        allowed = self.timeout + self.received / BODY_BYTES_PER_EXTRA_SECOND
        return self._started + allowed - time.monotonic()

    async def receive(self) -> Message:
        if self.refused:
            return _DISCONNECT
        if self.complete:
            return await self._receive()
        message = await _receive_within(self._receive, self._seconds_left())
        if message is None:
            await self.refuse(408, "request_timeout", "the request body arrived too slowly")
            return _DISCONNECT
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                await self.refuse(413, "payload_too_large", too_large(self.max_bytes))
                return _DISCONNECT
            self.complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # this request has had its answer
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)

    async def refuse(self, status: int, code: str, text: str) -> None:
        if not self.response_started:
            await send_json_error(self._send, status, code, text)
        self.refused = True


def writes_wordlist(scope: Scope) -> bool:
    """Whether the request creates or changes a wordlist through the API."""
    path: str = scope["path"]
    on_wordlists = path == WORDLISTS_PATH or path.startswith(WORDLISTS_PATH + "/")
    return on_wordlists and scope.get("method") in WORDLIST_WRITE_METHODS


def too_large(max_bytes: int) -> str:
    if max_bytes >= 1024 * 1024:
        return f"request body is larger than {max_bytes / (1024 * 1024):g} MiB"
    return f"request body is larger than {max_bytes // 1024} KiB"


class RequestBodyLimits:
    """ASGI middleware bounding every HTTP request body (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        page_max_bytes: int,
        timeout: float = BODY_TIMEOUT_SECONDS,
        api_max_bytes: int = MAX_API_BODY_BYTES,
        max_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.api_max_bytes = api_max_bytes
        self.page_max_bytes = page_max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")
        is_upload = scope["path"] in IMAGE_BODY_PATHS
        is_csv = scope["path"] == TAG_IMPORT_PATH
        if is_upload:
            max_bytes = MAX_UPLOAD_BODY_BYTES
        elif is_csv:
            max_bytes = MAX_TAG_CSV_BYTES
        elif is_api:
            max_bytes = self.api_max_bytes
            if writes_wordlist(scope):
                max_bytes = max(max_bytes, MAX_WORDLIST_BODY_BYTES)
        else:
            max_bytes = self.page_max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await send_json_error(send, 413, "payload_too_large", too_large(max_bytes))
            return
        body = _GuardedBody(receive, send, max_bytes, self.timeout)
        if is_api:
            await self._buffered(scope, body, check_depth=not (is_upload or is_csv))
            return
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            if not body.refused:
                raise
            # the app failed because its body was cut off; the client has its 408/413

    async def _buffered(self, scope: Scope, body: _GuardedBody, check_depth: bool) -> None:
        """API bodies are read whole first, so the JSON depth check sees all of it."""
        chunks: list[bytes] = []
        while not body.complete:
            message = await body.receive()
            if message["type"] != "http.request":
                return  # disconnected, or refused with 408/413
            chunks.append(message.get("body", b""))
        data = b"".join(chunks)
        if check_depth and data and json_depth_exceeds(data, self.max_depth):
            await send_json_error(
                body.send,
                400,
                "invalid_json",
                f"request body nests JSON deeper than {self.max_depth} levels",
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await body.receive()

        await self.app(scope, replay, body.send)


async def _receive_within(receive: Receive, seconds: float) -> Any:
    if seconds <= 0:
        return None
    with anyio.move_on_after(seconds):
        return await receive()
    return None
