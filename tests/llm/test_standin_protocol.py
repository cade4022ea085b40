"""The stand-in refuses what an OpenAI-compatible server refuses and answers in its shapes,
so the client tests mean something: error bodies, auth, models, and streamed chunks."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.llm_standin.server import LlmStandIn

MESSAGES = [{"role": "user", "content": "Hi"}]


def post(standin: LlmStandIn, body: Any, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{standin.url}/v1/chat/completions", json=body, headers=headers, timeout=10)


def test_models_and_auth(llm_standin: LlmStandIn) -> None:
    llm_standin.script.api_key = "sk-1"

    listed = httpx.get(
        f"{llm_standin.url}/v1/models", headers={"Authorization": "Bearer sk-1"}, timeout=10
    )
    refused = post(llm_standin, {"model": "standin-model", "messages": MESSAGES})

    assert listed.json()["data"][0]["id"] == "standin-model"
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"


def test_bad_requests_get_openai_error_bodies(llm_standin: LlmStandIn) -> None:
    cases = [
        ({"model": "standin-model", "messages": []}, 400, "messages"),
        ({"model": "standin-model", "messages": [{"role": "robot", "content": "x"}]}, 400, None),
        ({"model": "standin-model", "messages": [{"role": "user", "content": 5}]}, 400, None),
        ({"model": "gpt-9", "messages": MESSAGES}, 404, "model"),
        (
            {
                "model": "standin-model",
                "messages": MESSAGES,
                "tools": [{"type": "function", "function": {"name": "a", "parameters": {}}}],
                "tool_choice": {"type": "function", "function": {"name": "b"}},
            },
            400,
            "tool_choice",
        ),
    ]
    for body, status, param in cases:
        answer = post(llm_standin, body)
        assert answer.status_code == status, body
        error = answer.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["message"]
        if param:
            assert error["param"] == param


def test_a_streamed_tool_call_arrives_in_argument_pieces(llm_standin: LlmStandIn) -> None:
    llm_standin.script.chunk_size = 5
    llm_standin.script.answers.append('{"name": "Aria"}')
    body = {
        "model": "standin-model",
        "messages": MESSAGES,
        "stream": True,
        "tools": [{"type": "function", "function": {"name": "answer", "parameters": {}}}],
        "tool_choice": {"type": "function", "function": {"name": "answer"}},
    }

    answer = post(llm_standin, body)

    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in answer.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event)["choices"][0] for event in events[:-1]]
    assert chunks[0]["delta"]["tool_calls"][0]["function"]["name"] == "answer"
    pieces = [
        call["function"]["arguments"]
        for chunk in chunks
        for call in chunk["delta"].get("tool_calls", [])
    ]
    assert "".join(pieces) == '{"name": "Aria"}' and len(pieces) > 3
    assert chunks[-1]["finish_reason"] == "tool_calls"
