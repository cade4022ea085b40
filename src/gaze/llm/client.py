"""A client of the OpenAI chat-completions protocol (`POST {url}/v1/chat/completions`) that
asks for JSON following a schema: by `response_format` json_schema, else by a forced tool
call, else by plain text; streamed (server-sent events) when the server allows, so progress
and cancel work while a slow local model writes. Answers are read up to a size cap and
never parsed past it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from gaze.llm.answer_text import AnswerMessage, first_json_object, sse_data
from gaze.llm.errors import (
    LlmAnswerTooLarge,
    LlmCancelled,
    LlmError,
    LlmRefused,
    LlmUnreachable,
    LlmUnsupported,
)
from gaze.llm.server_modes import FALLBACKS, PROCESS_MODES, OutputMode, ServerModes

MAX_ANSWER_BYTES = 256 * 1024
"""The most of one answer GAZE reads; a draft is a few KB."""
MAX_ERROR_BYTES = 16 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_WAIT_SECONDS = 5.0
CANCEL_POLL_SECONDS = 0.1
UNSUPPORTED_STATUSES = frozenset({400, 404, 422, 501})
_FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    OutputMode.JSON_SCHEMA: ("response_format", "json_schema", "response format"),
    OutputMode.TOOLS: ("tool", "function"),
    "stream": ("stream",),
}

Messages = list[dict[str, str]]
ProgressCallback = Callable[[int], None]
"""Called with the characters of the answer received so far."""


@dataclass(frozen=True)
class LlmServer:
    url: str
    model: str
    api_key: str | None = None
    timeout: float = 120.0

    @property
    def completions_url(self) -> str:
        """`url` with or without a trailing `/v1`, then `/v1/chat/completions`."""
        base = self.url.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        return f"{base}/chat/completions"

    @property
    def key(self) -> str:
        return f"{self.completions_url} {self.model}"


@dataclass(frozen=True)
class JsonRequest:
    """What to ask for: the schema (and its name) the answer must follow."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ModelAnswer:
    """The JSON value the model answered, or why there is none (`problem`)."""

    value: Any
    problem: str | None
    text: str
    mode: OutputMode


class ChatClient:
    def __init__(
        self,
        server: LlmServer,
        *,
        modes: ServerModes = PROCESS_MODES,
        stream: bool = True,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.server = server
        self.modes = modes
        self.stream = stream
        self.max_answer_bytes = max_answer_bytes

    def ask_json(
        self,
        messages: Messages,
        request: JsonRequest,
        *,
        on_progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> ModelAnswer:
        """Ask for JSON following `request.schema`, trying the output modes in order from the
        one that last worked on this server."""
        mode: OutputMode | None = self.modes.mode(self.server.key)
        while mode is not None:
            try:
                message = self._complete(messages, request, mode, on_progress, cancelled)
            except LlmUnsupported:
                mode = FALLBACKS[mode]
                if mode is None:
                    raise
                continue
            self.modes.remember_mode(self.server.key, mode)
            return _json_answer(message, mode)
        raise AssertionError("unreachable")  # pragma: no cover - FALLBACKS ends in None

    # -- one request --------------------------------------------------------------------

    def _complete(
        self,
        messages: Messages,
        request: JsonRequest,
        mode: OutputMode,
        on_progress: ProgressCallback | None,
        cancelled: Callable[[], bool],
    ) -> AnswerMessage:
        stream = self.stream and self.modes.streams(self.server.key)
        body = _request_body(self.server.model, messages, request, mode, stream)
        try:
            return self._post(body, mode, on_progress, cancelled)
        except LlmUnsupported as refusal:
            if stream and _mentions(refusal.message, _FEATURE_WORDS["stream"]):
                self.modes.remember_no_streaming(self.server.key)
                body = _request_body(self.server.model, messages, request, mode, False)
                return self._post(body, mode, on_progress, cancelled)
            raise

    def _post(
        self,
        body: dict[str, Any],
        mode: OutputMode,
        on_progress: ProgressCallback | None,
        cancelled: Callable[[], bool],
    ) -> AnswerMessage:
        """`_post_blocking` in a thread of its own, given up at once when `cancelled()`: a
        slow answer that is not streamed sends nothing to notice a cancel by until it is done.
        The abandoned request ends by itself (its answer or the timeout)."""
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["answer"] = self._post_blocking(body, mode, on_progress, cancelled)
            except BaseException as error:  # handed to the waiting thread below
                outcome["error"] = error

        request = threading.Thread(target=run, name="llm-request", daemon=True)
        request.start()
        while request.is_alive():
            request.join(CANCEL_POLL_SECONDS)
            if request.is_alive() and cancelled():
                raise LlmCancelled("The draft was cancelled.")
        if "error" in outcome:
            raise outcome["error"]
        answer: AnswerMessage = outcome["answer"]
        return answer

    def _post_blocking(
        self,
        body: dict[str, Any],
        mode: OutputMode,
        on_progress: ProgressCallback | None,
        cancelled: Callable[[], bool],
    ) -> AnswerMessage:
        url = self.server.completions_url
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.server.api_key:
            headers["Authorization"] = f"Bearer {self.server.api_key}"
        timeout = httpx.Timeout(self.server.timeout, connect=min(10.0, self.server.timeout))
        deadline = time.monotonic() + self.server.timeout
        for attempt in (1, 2):
            try:
                with (
                    httpx.Client(timeout=timeout) as http,
                    http.stream("POST", url, json=body, headers=headers) as response,
                ):
                    if response.status_code >= 400:
                        wait = self._refusal(response, mode, attempt)
                        if cancelled():
                            raise LlmCancelled("The draft was cancelled.")
                        time.sleep(wait)
                        continue
                    chunks = _capped(response.iter_bytes(), self.max_answer_bytes, cancelled)
                    if response.headers.get("content-type", "").startswith("text/event-stream"):
                        return _read_stream(chunks, on_progress, deadline, self.server.timeout)
                    return _read_completion(b"".join(chunks))
            except httpx.HTTPError as error:
                raise self._transport_failure(error, cancelled) from None
        raise AssertionError("unreachable")  # pragma: no cover - the 2nd refusal raises

    def _transport_failure(self, error: httpx.HTTPError, cancelled: Callable[[], bool]) -> LlmError:
        """What a failed request means: cancelled meanwhile, too slow, or not reachable."""
        url = self.server.completions_url
        if cancelled():
            return LlmCancelled("The draft was cancelled.")
        if isinstance(error, httpx.TimeoutException):
            return LlmUnreachable(
                f"The LLM server at {url} did not answer within {self.server.timeout:g} s "
                "(GAZE_LLM_TIMEOUT_SECONDS)."
            )
        return LlmUnreachable(f"The LLM server at {url} could not be reached: {error}")

    def _refusal(self, response: httpx.Response, mode: OutputMode, attempt: int) -> float:
        """Raise for an error answer, or return how long to wait before the one retry."""
        status = response.status_code
        text = b"".join(_capped(response.iter_bytes(), MAX_ERROR_BYTES, None, strict=False))
        message = _error_message(text.decode("utf-8", "replace"))
        said = f"The LLM server answered {status}: {message}"
        if status in RETRY_STATUSES and attempt == 1:
            return _retry_after(response.headers.get("retry-after"))
        if status in UNSUPPORTED_STATUSES and _unsupported(message, mode):
            raise LlmUnsupported(said, status)
        raise LlmRefused(said, status)


# -- request and answer shapes ----------------------------------------------------------


def _request_body(
    model: str, messages: Messages, request: JsonRequest, mode: OutputMode, stream: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": list(messages), "stream": stream}
    if mode is OutputMode.JSON_SCHEMA:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": request.name, "schema": request.schema, "strict": True},
        }
    elif mode is OutputMode.TOOLS:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": request.name,
                    "description": request.description,
                    "parameters": request.schema,
                },
            }
        ]
        body["tool_choice"] = {"type": "function", "function": {"name": request.name}}
    else:
        instruction = (
            "Answer with one JSON object only, following this JSON schema:\n"
            + json.dumps(request.schema)
        )
        body["messages"] = [*messages, {"role": "user", "content": instruction}]
    return body


def _json_answer(message: AnswerMessage, mode: OutputMode) -> ModelAnswer:
    """The JSON object the model answered: its tool call's arguments when it made one, else
    its text (whole, or the first object in it)."""
    use_tool = mode is OutputMode.TOOLS and message.tool_arguments is not None
    text = message.tool_arguments or "" if use_tool else message.content
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        try:
            value = first_json_object(text)
        except (ValueError, RecursionError):
            return ModelAnswer(None, f"the answer is not JSON: {_excerpt(text)!r}", text, mode)
    if not isinstance(value, dict):
        problem = f"the answer is JSON but not an object: {_excerpt(text)!r}"
        return ModelAnswer(None, problem, text, mode)
    return ModelAnswer(value, None, text, mode)


def _read_completion(body: bytes) -> AnswerMessage:
    try:
        return AnswerMessage.from_completion(json.loads(body))
    except (ValueError, RecursionError) as error:
        raise LlmError(f"The LLM server's answer is not a chat completion: {error}") from None


def _read_stream(
    chunks: Iterator[bytes], on_progress: ProgressCallback | None, deadline: float, limit: float
) -> AnswerMessage:
    answer = AnswerMessage()
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            data = sse_data(line.decode("utf-8", "replace").rstrip("\r"))
            if data is None or not data:
                continue
            if data == "[DONE]":
                return answer
            _add_event(answer, data)
        if on_progress is not None:
            on_progress(answer.size)
        if time.monotonic() > deadline:
            raise LlmUnreachable(
                f"The LLM server did not finish its answer within {limit:g} s "
                "(GAZE_LLM_TIMEOUT_SECONDS)."
            )
    return answer


def _add_event(answer: AnswerMessage, data: str) -> None:
    try:
        event = json.loads(data)
    except (ValueError, RecursionError):
        message = f"The LLM server sent a stream event that is not JSON: {_excerpt(data)}"
        raise LlmError(message) from None
    if isinstance(event, dict) and event.get("error"):
        raise LlmRefused(f"The LLM server failed mid-answer: {_error_message(data)}", 502)
    choices = event.get("choices") if isinstance(event, dict) else None
    if choices and isinstance(choices[0], dict):
        answer.add_delta(choices[0])


def _capped(
    chunks: Iterator[bytes],
    limit: int,
    cancelled: Callable[[], bool] | None,
    *,
    strict: bool = True,
) -> Iterator[bytes]:
    """The chunks, until `limit` bytes: then LlmAnswerTooLarge (or, not strict, the end)."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            if not strict:
                return
            raise LlmAnswerTooLarge(
                f"The LLM's answer is longer than {limit // 1024} KiB; GAZE does not read it "
                "(a draft is a few KiB: ask for less, or use another model)."
            )
        if cancelled is not None and cancelled():
            raise LlmCancelled("The draft was cancelled.")
        yield chunk


def _error_message(text: str) -> str:
    """OpenAI's `{"error": {"message": ...}}`, Ollama's `{"error": "..."}`, or the text."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return _excerpt(text.strip()) or "(no message)"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return _excerpt(error["message"])
    if isinstance(error, str):
        return _excerpt(error)
    return _excerpt(text.strip())


def _unsupported(message: str, mode: OutputMode) -> bool:
    """Whether an error message says the server does not support this mode (or streaming)."""
    words = _FEATURE_WORDS.get(mode, ()) + _FEATURE_WORDS["stream"]
    return _mentions(message, words) or _mentions(message, ("unsupported", "not supported"))


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in words)


def _retry_after(header: str | None) -> float:
    try:
        return max(0.0, min(float(header or 1.0), MAX_RETRY_WAIT_SECONDS))
    except (ValueError, RecursionError):
        return 1.0


def _excerpt(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
