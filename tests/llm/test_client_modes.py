"""The chat-completions client against the stand-in: each structured-output mode and its
fallbacks (remembered per server), streaming on and off, errors, retries, slow and huge
answers, cancel and progress."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from gaze.llm.client import ChatClient, JsonRequest, LlmServer
from gaze.llm.errors import (
    LlmAnswerTooLarge,
    LlmCancelled,
    LlmRefused,
    LlmUnreachable,
)
from gaze.llm.server_modes import OutputMode, ServerModes
from tests.llm_standin.script import Failure
from tests.llm_standin.server import LlmStandIn

REQUEST = JsonRequest(
    "answer",
    "An answer.",
    {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    },
)
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name?"}]
ANSWER = json.dumps({"name": "Aria"})


def client_for(standin: LlmStandIn, **options: Any) -> ChatClient:
    server = LlmServer(
        url=options.pop("url", standin.url),
        model=options.pop("model", standin.script.model),
        api_key=options.pop("api_key", None),
        timeout=options.pop("timeout", 10.0),
    )
    return ChatClient(server, modes=options.pop("modes", ServerModes()), **options)


def test_json_schema_mode_streams_and_is_remembered(llm_standin: LlmStandIn) -> None:
    llm_standin.script.answers.extend([ANSWER, ANSWER])
    modes = ServerModes()
    client = client_for(llm_standin, modes=modes)
    seen: list[int] = []

    answer = client.ask_json(MESSAGES, REQUEST, on_progress=seen.append)

    assert answer.value == {"name": "Aria"} and answer.mode is OutputMode.JSON_SCHEMA
    (request,) = llm_standin.script.completion_requests()
    assert request["model"] == "standin-model" and request["stream"] is True
    assert request["messages"] == MESSAGES
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": REQUEST.schema, "strict": True},
    }
    assert seen and seen[-1] == len(ANSWER)
    assert modes.mode(client.server.key) is OutputMode.JSON_SCHEMA


def test_falls_back_to_a_forced_tool_call_and_remembers_it(llm_standin: LlmStandIn) -> None:
    llm_standin.script.json_schema = False
    llm_standin.script.answers.extend([ANSWER, ANSWER])
    modes = ServerModes()
    client = client_for(llm_standin, modes=modes)

    first = client.ask_json(MESSAGES, REQUEST)
    second = client.ask_json(MESSAGES, REQUEST)

    assert first.value == second.value == {"name": "Aria"}
    assert first.mode is OutputMode.TOOLS
    refused, tooled, remembered = llm_standin.script.completion_requests()
    assert "response_format" in refused and "tools" not in refused
    assert tooled["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "answer",
                "description": "An answer.",
                "parameters": REQUEST.schema,
            },
        }
    ]
    assert tooled["tool_choice"] == {"type": "function", "function": {"name": "answer"}}
    assert "response_format" not in remembered and "tools" in remembered


def test_falls_back_to_json_in_plain_text(llm_standin: LlmStandIn) -> None:
    script = llm_standin.script
    script.json_schema = script.tools = False
    script.answers.append(f"Sure! Here it is:\n```json\n{ANSWER}\n```\nAnything else?")
    modes = ServerModes()
    client = client_for(llm_standin, modes=modes)

    answer = client.ask_json(MESSAGES, REQUEST)

    assert answer.value == {"name": "Aria"} and answer.mode is OutputMode.TEXT
    last = script.completion_requests()[-1]
    assert "tools" not in last and "response_format" not in last
    assert last["messages"][:2] == MESSAGES
    assert "JSON schema" in last["messages"][-1]["content"]
    assert modes.mode(client.server.key) is OutputMode.TEXT


def test_plain_text_without_a_fence_takes_the_first_object(llm_standin: LlmStandIn) -> None:
    script = llm_standin.script
    script.json_schema = script.tools = False
    script.answers.append('I think {"name": "Aria"} fits, or {"name": "Bo"}.')

    assert client_for(llm_standin).ask_json(MESSAGES, REQUEST).value == {"name": "Aria"}


def test_an_answer_without_json_says_so(llm_standin: LlmStandIn) -> None:
    llm_standin.script.answers.append("I cannot help with that.")

    answer = client_for(llm_standin).ask_json(MESSAGES, REQUEST)

    assert answer.value is None
    assert answer.problem is not None and "not JSON" in answer.problem
    assert "I cannot help" in answer.problem


def test_a_server_that_cannot_stream_is_asked_again_without(llm_standin: LlmStandIn) -> None:
    llm_standin.script.streaming = False
    llm_standin.script.answers.extend([ANSWER, ANSWER])
    modes = ServerModes()
    client = client_for(llm_standin, modes=modes)

    assert client.ask_json(MESSAGES, REQUEST).value == {"name": "Aria"}
    assert client.ask_json(MESSAGES, REQUEST).value == {"name": "Aria"}

    streams = [request["stream"] for request in llm_standin.script.completion_requests()]
    assert streams == [True, False, False]


def test_non_streaming_tool_calls(llm_standin: LlmStandIn) -> None:
    llm_standin.script.json_schema = False
    llm_standin.script.answers.append(ANSWER)

    answer = client_for(llm_standin, stream=False).ask_json(MESSAGES, REQUEST)

    assert answer.value == {"name": "Aria"} and answer.mode is OutputMode.TOOLS


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_url_with_or_without_v1(llm_standin: LlmStandIn, suffix: str) -> None:
    llm_standin.script.answers.append(ANSWER)
    client = client_for(llm_standin, url=llm_standin.url + suffix)

    assert client.ask_json(MESSAGES, REQUEST).value == {"name": "Aria"}
    assert llm_standin.script.requests[-1]["path"] == "/v1/chat/completions"


def test_the_key_is_sent_as_a_bearer_token(llm_standin: LlmStandIn) -> None:
    llm_standin.script.api_key = "sk-test"
    llm_standin.script.answers.append(ANSWER)

    assert client_for(llm_standin, api_key="sk-test").ask_json(MESSAGES, REQUEST).value
    assert llm_standin.script.requests[-1]["headers"]["Authorization"] == "Bearer sk-test"

    with pytest.raises(LlmRefused) as refused:
        client_for(llm_standin, api_key="sk-wrong").ask_json(MESSAGES, REQUEST)
    assert refused.value.status == 401
    assert "Incorrect API key" in refused.value.message


def test_an_unknown_model_is_a_clear_refusal(llm_standin: LlmStandIn) -> None:
    with pytest.raises(LlmRefused) as refused:
        client_for(llm_standin, model="no-such-model").ask_json(MESSAGES, REQUEST)
    assert refused.value.status == 404 and "no-such-model" in refused.value.message


def test_a_server_error_is_retried_once(llm_standin: LlmStandIn) -> None:
    llm_standin.script.failures.append(Failure(500))
    llm_standin.script.answers.append(ANSWER)

    assert client_for(llm_standin).ask_json(MESSAGES, REQUEST).value == {"name": "Aria"}
    assert len(llm_standin.script.completion_requests()) == 2


def test_rate_limits_twice_give_up_with_the_servers_message(llm_standin: LlmStandIn) -> None:
    limited = Failure(
        429, "Rate limit reached for requests", "requests", headers={"Retry-After": "0.1"}
    )
    llm_standin.script.failures.extend([limited, limited])

    with pytest.raises(LlmRefused) as refused:
        client_for(llm_standin).ask_json(MESSAGES, REQUEST)

    assert refused.value.status == 429
    assert "Rate limit reached" in refused.value.message
    assert len(llm_standin.script.completion_requests()) == 2


def test_an_error_body_that_is_not_json(llm_standin: LlmStandIn) -> None:
    llm_standin.script.failures.append(Failure(403, raw=b"<html>Forbidden by proxy</html>"))

    with pytest.raises(LlmRefused) as refused:
        client_for(llm_standin).ask_json(MESSAGES, REQUEST)

    assert refused.value.status == 403 and "Forbidden by proxy" in refused.value.message


@pytest.mark.parametrize("stream", [True, False])
def test_a_one_megabyte_answer_is_refused_unread(llm_standin: LlmStandIn, stream: bool) -> None:
    huge = json.dumps({"name": "x" * (1024 * 1024)})
    llm_standin.script.answers.append(huge)
    llm_standin.script.chunk_size = 64 * 1024

    with pytest.raises(LlmAnswerTooLarge) as too_large:
        client_for(llm_standin, stream=stream).ask_json(MESSAGES, REQUEST)

    assert "256 KiB" in too_large.value.message


def test_a_slow_server_times_out(llm_standin: LlmStandIn) -> None:
    llm_standin.script.delay_seconds = 2.0
    llm_standin.script.answers.append(ANSWER)

    with pytest.raises(LlmUnreachable) as slow:
        client_for(llm_standin, timeout=0.5).ask_json(MESSAGES, REQUEST)

    assert "GAZE_LLM_TIMEOUT_SECONDS" in slow.value.message


def test_a_slow_stream_within_the_timeout_reports_progress(llm_standin: LlmStandIn) -> None:
    llm_standin.script.chunk_size = 4
    llm_standin.script.chunk_delay_seconds = 0.01
    llm_standin.script.answers.append(ANSWER)
    seen: list[int] = []

    answer = client_for(llm_standin).ask_json(MESSAGES, REQUEST, on_progress=seen.append)

    assert answer.value == {"name": "Aria"}
    assert len(seen) > 3 and seen == sorted(seen)


def test_cancel_stops_reading_a_stream(llm_standin: LlmStandIn) -> None:
    llm_standin.script.chunk_size = 2
    llm_standin.script.chunk_delay_seconds = 0.05
    llm_standin.script.answers.append(ANSWER)
    cancel = threading.Event()
    client = client_for(llm_standin)

    with pytest.raises(LlmCancelled):
        client.ask_json(
            MESSAGES,
            REQUEST,
            on_progress=lambda characters: characters > 4 and cancel.set(),
            cancelled=cancel.is_set,
        )


def test_cancel_ends_a_slow_answer_that_is_not_streamed(llm_standin: LlmStandIn) -> None:
    llm_standin.script.streaming = False
    llm_standin.script.delay_seconds = 20.0
    llm_standin.script.answers.append(ANSWER)
    cancel = threading.Event()
    asking = threading.Timer(0.3, cancel.set)
    asking.start()

    with pytest.raises(LlmCancelled):
        client_for(llm_standin, stream=False, timeout=60).ask_json(
            MESSAGES, REQUEST, cancelled=cancel.is_set
        )

    assert llm_standin.script.answered == 0, "the client waited for the whole answer"
    assert len(llm_standin.script.completion_requests()) == 1


def test_an_error_event_in_the_middle_of_a_stream(llm_standin: LlmStandIn) -> None:
    llm_standin.script.chunk_size = 4
    llm_standin.script.stream_error_after = 2
    llm_standin.script.answers.append(ANSWER)

    with pytest.raises(LlmRefused) as broken:
        client_for(llm_standin).ask_json(MESSAGES, REQUEST)

    assert "failed mid-answer" in broken.value.message
    assert "The model crashed while generating" in broken.value.message


def test_nothing_listening_is_unreachable(closed_port_url: str) -> None:
    client = ChatClient(LlmServer(closed_port_url, "m", timeout=2), modes=ServerModes())

    with pytest.raises(LlmUnreachable) as unreachable:
        client.ask_json(MESSAGES, REQUEST)

    assert closed_port_url in unreachable.value.message
