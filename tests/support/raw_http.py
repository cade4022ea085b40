"""Requests written byte for byte, for what httpx will not send."""

from __future__ import annotations

import socket


def exchange(port: int, request: bytes, timeout: float = 20) -> bytes:
    """Send `request` on a fresh connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])
