"""The open /ws connections, keyed by client id, and how messages reach them.

As in ComfyUI, a message with a client id goes only to that client; one without goes to
everybody. A client reconnecting with the same id replaces its old socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

from tests.comfyui_standin.behaviour import StandInBehaviour

PREVIEW_IMAGE_EVENT = 1
PREVIEW_FORMAT_JPEG = 1


@dataclass
class _Connection:
    socket: WebSocket
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class WebSocketHub:
    def __init__(self, behaviour: StandInBehaviour) -> None:
        self._behaviour = behaviour
        self._connections: dict[str, _Connection] = {}
        self._refuse_until = 0.0
        self.drops = 0
        """Connections closed by ``drop``."""
        self.refusals = 0
        """Connection attempts refused during an outage."""

    def register(self, sid: str, socket: WebSocket) -> None:
        self._connections[sid] = _Connection(socket)

    def unregister(self, sid: str, socket: WebSocket) -> None:
        connection = self._connections.get(sid)
        if connection is not None and connection.socket is socket:
            del self._connections[sid]

    def refusing(self) -> bool:
        """Whether a new connection is to be refused now (and counts it if so)."""
        if time.monotonic() < self._refuse_until:
            self.refusals += 1
            return True
        return False

    def connected_clients(self) -> list[str]:
        return list(self._connections)

    async def send_json(self, event: str, data: dict[str, Any], sid: str | None = None) -> None:
        text = json.dumps({"type": event, "data": data})
        for connection in self._targets(sid):
            await self._send(connection, text)

    async def send_preview(self, jpeg: bytes, sid: str | None) -> None:
        frame = struct.pack(">II", PREVIEW_IMAGE_EVENT, PREVIEW_FORMAT_JPEG) + jpeg
        for connection in self._targets(sid):
            await self._send(connection, frame)

    async def drop(self, sid: str | None) -> None:
        """Close the client's socket (everyone's if ``sid`` is None) and refuse reconnects
        for ``websocket_outage`` seconds."""
        self._refuse_until = time.monotonic() + self._behaviour.websocket_outage
        for connection in self._targets(sid):
            self.drops += 1
            async with connection.lock:
                with contextlib.suppress(Exception):
                    await connection.socket.close(code=1011)
        if sid is None:
            self._connections.clear()
        else:
            self._connections.pop(sid, None)

    async def close_all(self) -> None:
        for connection in list(self._connections.values()):
            with contextlib.suppress(Exception):
                await connection.socket.close(code=1001)
        self._connections.clear()

    def _targets(self, sid: str | None) -> list[_Connection]:
        if sid is None:
            return list(self._connections.values())
        connection = self._connections.get(sid)
        return [connection] if connection is not None else []

    async def _send(self, connection: _Connection, payload: str | bytes) -> None:
        async with connection.lock:
            try:
                if self._behaviour.garbage_frames and isinstance(payload, str):
                    await connection.socket.send_text("<html>not json {")
                if isinstance(payload, bytes):
                    await connection.socket.send_bytes(payload)
                else:
                    await connection.socket.send_text(payload)
            except Exception:
                # A send to a socket that went away is dropped, as ComfyUI logs and drops it.
                pass
