"""What the stand-in supports and answers, set by each test, and what it was asked."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Failure:
    """An HTTP error answer (OpenAI's error body unless `raw` is given)."""

    status: int
    message: str = "The server had an error while processing your request."
    error_type: str = "server_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class LlmScript:
    """The stand-in's behaviour; tests change it between requests (under `lock`)."""

    model: str = "standin-model"
    api_key: str | None = None
    json_schema: bool = True
    tools: bool = True
    streaming: bool = True
    delay_seconds: float = 0.0
    """Before the answer starts."""
    chunk_delay_seconds: float = 0.0
    """Between streamed chunks."""
    chunk_size: int = 40
    stream_error_after: int | None = None
    """Streamed answers break off after this many chunks with an `error` event (as vLLM and
    llama.cpp's server send when generation fails mid-way)."""
    default_answer: str = "{}"
    answers: deque[str] = field(default_factory=deque)
    """Next answers, in order (the JSON or text the 'model' writes); then `default_answer`."""
    failures: deque[Failure] = field(default_factory=deque)
    """Answered (in order) before any answer."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    """Every request: {"path", "headers", "body"}."""
    disconnects: int = 0
    """Streams the client closed before their end."""
    answered: int = 0
    """Answers (or errors) written out in full."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> str:
        with self.lock:
            return self.answers.popleft() if self.answers else self.default_answer

    def next_failure(self) -> Failure | None:
        with self.lock:
            return self.failures.popleft() if self.failures else None

    def completion_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]
