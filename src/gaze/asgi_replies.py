"""Answers sent straight from ASGI middleware, before any route runs."""

from __future__ import annotations

import json

from starlette.types import Send


async def send_json_error(send: Send, status: int, code: str, message: str) -> None:
    """A complete JSON error response that also closes the connection."""
    body = json.dumps({"error": message, "code": code}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
