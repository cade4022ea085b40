"""Reading a chat completion: the JSON a model wrote inside free text, and the message a
streamed answer (server-sent `data:` chunks) adds up to."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()
MAX_OBJECT_STARTS = 20


def first_json_object(text: str) -> Any:
    """The first JSON object in `text`: inside a ```json fence when there is one, else the
    first `{` that starts a complete object. ValueError when there is none."""
    for fenced in _FENCE.findall(text):
        found = _object_in(fenced)
        if found is not None:
            return found
    found = _object_in(text)
    if found is None:
        raise ValueError("the answer holds no JSON object")
    return found


def _object_in(text: str) -> Any:
    """The first complete object starting at one of the first `MAX_OBJECT_STARTS` braces;
    bounded, so that a hostile answer full of braces costs little."""
    start = text.find("{")
    for _attempt in range(MAX_OBJECT_STARTS):
        if start == -1:
            return None
        try:
            value, _end = _DECODER.raw_decode(text, start)
        except RecursionError:
            return None
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


@dataclass
class AnswerMessage:
    """The assistant message of one completion: its text, or its first tool call's
    arguments (as the JSON text the model wrote)."""

    content: str = ""
    tool_arguments: str | None = None
    finish_reason: str | None = None

    @property
    def size(self) -> int:
        return len(self.content) + len(self.tool_arguments or "")

    def add_delta(self, choice: dict[str, Any]) -> None:
        """Add one streamed chunk's `choices[0]` (its `delta`)."""
        delta = choice.get("delta") or {}
        text = delta.get("content")
        if isinstance(text, str):
            self.content += text
        for call in delta.get("tool_calls") or []:
            if not isinstance(call, dict) or call.get("index", 0) != 0:
                continue
            arguments = (call.get("function") or {}).get("arguments")
            if isinstance(arguments, str):
                self.tool_arguments = (self.tool_arguments or "") + arguments
        if choice.get("finish_reason"):
            self.finish_reason = str(choice["finish_reason"])

    @classmethod
    def from_completion(cls, body: Any) -> AnswerMessage:
        """The message of a non-streamed completion body; ValueError if it has none."""
        try:
            choice = body["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise ValueError("the completion has no choices[0].message") from None
        answer = cls(finish_reason=choice.get("finish_reason"))
        if isinstance(message.get("content"), str):
            answer.content = message["content"]
        calls = message.get("tool_calls") or []
        if calls and isinstance(calls[0], dict):
            arguments = (calls[0].get("function") or {}).get("arguments")
            if isinstance(arguments, str):
                answer.tool_arguments = arguments
            elif isinstance(arguments, dict):  # some servers send the object itself
                answer.tool_arguments = json.dumps(arguments)
        return answer


def sse_data(line: str) -> str | None:
    """The payload of a `data:` line of an event stream, else None (comments, blank lines)."""
    if not line.startswith("data:"):
        return None
    return line[5:].strip()
