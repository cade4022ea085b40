"""The chat-completions protocol as the stand-in checks and answers it: request checks with
OpenAI's error bodies, completion bodies, and streamed chunks."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from tests.llm_standin.script import Failure, LlmScript

ROLES = {"system", "user", "assistant", "tool", "developer"}


class ProtocolError(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def invalid(message: str, param: str | None = None, code: str | None = None) -> ProtocolError:
    return ProtocolError(Failure(400, message, "invalid_request_error", param, code))


def error_body(failure: Failure) -> bytes:
    if failure.raw is not None:
        return failure.raw
    error = {
        "message": failure.message,
        "type": failure.error_type,
        "param": failure.param,
        "code": failure.code,
    }
    return json.dumps({"error": error}).encode()


def check_auth(script: LlmScript, authorization: str | None) -> None:
    if script.api_key is None:
        return
    if authorization != f"Bearer {script.api_key}":
        raise ProtocolError(
            Failure(
                401, "Incorrect API key provided.", "invalid_request_error", None, "invalid_api_key"
            )
        )


def check_request(script: LlmScript, body: Any) -> None:
    """Refuse what OpenAI refuses: a bad shape, an unknown model, what this server lacks."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    if body.get("model") != script.model:
        raise ProtocolError(
            Failure(
                404,
                f"The model `{body.get('model')}` does not exist.",
                "invalid_request_error",
                "model",
                "model_not_found",
            )
        )
    _check_messages(body.get("messages"))
    if "stream" in body and not isinstance(body["stream"], bool):
        raise invalid("'stream' must be a boolean.", "stream")
    if body.get("stream") and not script.streaming:
        raise invalid("stream is not supported by this server.", "stream")
    if "response_format" in body:
        _check_response_format(script, body["response_format"])
    if "tools" in body:
        _check_tools(script, body["tools"], body.get("tool_choice"))


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty array.", "messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise invalid(f"{where}: an object with a valid 'role' is required.", where)
        content = message.get("content")
        if not isinstance(content, str) and not (
            message["role"] == "assistant" and content is None and message.get("tool_calls")
        ):
            raise invalid(f"{where}.content: must be a string.", f"{where}.content")


def _check_response_format(script: LlmScript, value: Any) -> None:
    if not isinstance(value, dict) or value.get("type") not in {
        "text",
        "json_object",
        "json_schema",
    }:
        raise invalid("Invalid 'response_format'.", "response_format")
    if value["type"] != "json_schema":
        return
    schema = value.get("json_schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("name"), str):
        raise invalid("'response_format.json_schema.name' is required.", "response_format")
    if not isinstance(schema.get("schema"), dict):
        raise invalid("'response_format.json_schema.schema' must be an object.", "response_format")
    if not script.json_schema:
        raise invalid(
            "response_format of type 'json_schema' is not supported with this model.",
            "response_format",
        )


def _check_tools(script: LlmScript, tools: Any, choice: Any) -> None:
    if not isinstance(tools, list) or not tools:
        raise invalid("'tools' must be a non-empty array.", "tools")
    names = set()
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict):
            raise invalid("Each tool must be {'type': 'function', 'function': {...}}.", "tools")
        if not isinstance(function.get("name"), str) or not isinstance(
            function.get("parameters"), dict
        ):
            raise invalid("A function needs a 'name' and 'parameters'.", "tools")
        names.add(function["name"])
    if isinstance(choice, dict) and (choice.get("function") or {}).get("name") not in names:
        raise invalid("'tool_choice' names a function that is not in 'tools'.", "tool_choice")
    if not script.tools:
        raise invalid("This model does not support tools.", "tools")


def forced_tool(body: dict[str, Any]) -> str | None:
    """The function the model must call, when the request forces one (or offers only one)."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        return str(choice["function"]["name"])
    tools = body.get("tools") or []
    if choice in (None, "auto", "required") and len(tools) == 1:
        return str(tools[0]["function"]["name"])
    return None


def completion(script: LlmScript, answer: str, tool: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer}
    if tool is not None:
        message = {"role": "assistant", "content": None, "tool_calls": [_tool_call(tool, answer)]}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": script.model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if tool else "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(answer) // 4, "total_tokens": 0},
    }


def _tool_call(name: str, arguments: str) -> dict[str, Any]:
    return {
        "id": f"call_{uuid.uuid4().hex[:8]}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def stream_chunks(script: LlmScript, answer: str, tool: str | None) -> Iterator[bytes]:
    """The answer as server-sent `chat.completion.chunk` events, then `data: [DONE]`."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": script.model,
    }

    def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return f"data: {json.dumps({**base, 'choices': [choice]})}\n\n".encode()

    if tool is None:
        yield event({"role": "assistant", "content": ""})
    else:
        call = _tool_call(tool, "")
        yield event({"role": "assistant", "content": None, "tool_calls": [{"index": 0, **call}]})
    for number, start in enumerate(range(0, len(answer), script.chunk_size)):
        if number == script.stream_error_after:
            error = {"message": "The model crashed while generating.", "type": "server_error"}
            yield f"data: {json.dumps({'error': error})}\n\n".encode()
            return
        piece = answer[start : start + script.chunk_size]
        if tool is None:
            yield event({"content": piece})
        else:
            yield event({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    yield event({}, "tool_calls" if tool else "stop")
    yield b"data: [DONE]\n\n"
