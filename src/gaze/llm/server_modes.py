"""What each LLM server was found to support: the structured-output way that worked, and
whether it streams. Remembered for the life of the process, so only the first draft for a
server pays for the fallbacks."""

from __future__ import annotations

import threading
from enum import StrEnum


class OutputMode(StrEnum):
    """How the model is asked for JSON, in the order they are tried."""

    JSON_SCHEMA = "json_schema"
    """`response_format: {"type": "json_schema", ...}`: the server constrains the answer."""
    TOOLS = "tools"
    """A forced function call whose arguments follow the schema."""
    TEXT = "text"
    """Plain text asking for JSON; the first JSON object in the answer is taken."""


FALLBACKS: dict[OutputMode, OutputMode | None] = {
    OutputMode.JSON_SCHEMA: OutputMode.TOOLS,
    OutputMode.TOOLS: OutputMode.TEXT,
    OutputMode.TEXT: None,
}


class ServerModes:
    """Per server (completions URL and model): the output mode that worked, and whether
    streaming was refused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._modes: dict[str, OutputMode] = {}
        self._no_streaming: set[str] = set()

    def mode(self, server: str) -> OutputMode:
        with self._lock:
            return self._modes.get(server, OutputMode.JSON_SCHEMA)

    def remember_mode(self, server: str, mode: OutputMode) -> None:
        with self._lock:
            self._modes[server] = mode

    def streams(self, server: str) -> bool:
        with self._lock:
            return server not in self._no_streaming

    def remember_no_streaming(self, server: str) -> None:
        with self._lock:
            self._no_streaming.add(server)


PROCESS_MODES = ServerModes()
"""What this process learnt about the servers it asked."""
