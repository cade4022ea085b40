"""The OpenAPI document and the running API agree: schemathesis fuzzes every operation
against a live server (no 5xx, every response as documented), and the event stream, which
schemathesis cannot read to its end, is checked against its documented schemas here."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from devkit.server import GazeServer
from gaze.api.schemas import GUIDE_JOB_EXAMPLE
from gaze.client.models import Event
from gaze.client.sse import SseParser

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)
EXAMPLES_PER_OPERATION = 8
GUIDE_OPERATIONS = {
    ("get", "/api/v1/presets"),
    ("post", "/api/v1/generate/{preset_slug}"),
    ("get", "/api/v1/job/{job_id}"),
}
JOBS_API_OPERATIONS = {
    ("get", "/api/v1/jobs"),
    ("post", "/api/v1/job/{job_id}/cancel"),
    ("post", "/api/v1/job/{job_id}/retry"),
    ("get", "/api/v1/job/{job_id}/webhooks"),
    ("get", "/api/v1/queue"),
    ("get", "/api/v1/batch/{batch_id}"),
    ("post", "/api/v1/batch/{batch_id}/cancel"),
    ("get", "/api/v1/events"),
}


def openapi(server: GazeServer) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/v1/openapi.json", timeout=30)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def conforms(document: dict[str, Any], schema: str | dict[str, Any], instance: Any) -> None:
    """Validate `instance` against a component (by name) or a schema of the document."""
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    jsonschema_rs.validator_for({**schema, "components": document["components"]}).validate(instance)


def stream_item_schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The documented data schema of each event of GET /api/v1/events, by event name."""
    content = document["paths"]["/api/v1/events"]["get"]["responses"]["200"]["content"]
    schemas: dict[str, dict[str, Any]] = {}
    for item in content["text/event-stream"]["itemSchema"]["oneOf"]:
        event = item["properties"]["event"]
        for name in [event["const"]] if "const" in event else event["enum"]:
            schemas[name] = item["properties"]["data"]["contentSchema"]
    return schemas


# Around 60 operations x 8 examples; a loaded 2-core machine needs minutes.
@pytest.mark.timeout(900)
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    fuzzed_server: GazeServer, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{fuzzed_server.url}/api/v1/openapi.json",
            "--header",
            f"X-API-Key: {fuzzed_server.api_key}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "20261124",
            # an endless stream: its documented shapes are checked below instead
            "--exclude-path",
            "/api/v1/events",
            # answer 502/503 by design (LLM failed / none configured), which the
            # not_a_server_error check refuses: tests/llm/test_draft_api.py fuzzes them
            "--exclude-path-regex",
            "/draft",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=880,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert "Operations:" in result.stdout and "passed" in result.stdout


def test_every_operation_is_documented_with_its_errors(contract_server: GazeServer) -> None:
    document = openapi(contract_server)
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) >= GUIDE_OPERATIONS | JOBS_API_OPERATIONS
    for key in GUIDE_OPERATIONS | JOBS_API_OPERATIONS:
        operation = operations[key]
        assert operation.get("summary"), key
        responses = operation["responses"]
        for status in ("401", "403"):
            assert status in responses, (key, status)
        assert "422" not in responses, f"{key}: invalid parameters are answered 400"
        for status, response in responses.items():
            if status.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (key, status)
                assert "example" in response["content"]["application/json"], (key, status)
    assert {"JobStatus", "JobEventBody", "BatchStatus", "JobList"} <= set(
        document["components"]["schemas"]
    )
    assert set(stream_item_schemas(document)) == {
        "snapshot",
        "job.queued",
        "job.started",
        "job.progress",
        "job.done",
        "job.failed",
        "job.cancelled",
    }
    generate = document["paths"]["/api/v1/generate/{preset_slug}"]["post"]
    [webhook] = generate["callbacks"].values()
    body = webhook["{$request.body#/webhook_url}"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/JobEventBody")


def test_the_guides_shapes_and_examples_are_in_the_schema(contract_server: GazeServer) -> None:
    document = openapi(contract_server)
    job_schema = document["components"]["schemas"]["JobStatus"]
    assert GUIDE_JOB_EXAMPLE in job_schema["examples"]
    assert {"id", "label", "status", "error"} <= set(job_schema["required"])
    conforms(document, "JobStatus", GUIDE_JOB_EXAMPLE)
    generate = document["paths"]["/api/v1/generate/{preset_slug}"]["post"]
    examples = generate["requestBody"]["content"]["application/json"]["examples"]
    bodies = [example["value"] for example in examples.values()]
    assert {} in bodies and {"seed": 927640517599332} in bodies
    assert {"count": 3, "extra_positive": "smiling, outdoors", "extra_negative": "blurry"} in bodies
    assert set(generate["responses"]) >= {"202", "400", "404", "401", "403"}
    assert "Idempotency-Key" in {parameter["name"] for parameter in generate["parameters"]}


def test_docs_page_is_served(contract_server: GazeServer) -> None:
    response = httpx.get(f"{contract_server.url}/docs", timeout=30)
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text


def read_events(server: GazeServer, params: dict[str, str], count: int) -> list[Event]:
    """The first `count` events of a stream."""
    events: list[Event] = []
    parser = SseParser()
    with httpx.stream(
        "GET",
        f"{server.url}/api/v1/events",
        params=params,
        headers=server.headers,
        timeout=httpx.Timeout(30),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            events += parser.feed(line)
            if len(events) >= count:
                break
    return events


def test_event_stream_payloads_match_their_schemas(contract_server: GazeServer) -> None:
    document = openapi(contract_server)
    schemas = stream_item_schemas(document)
    response = contract_server.post("/api/v1/generate/example_01", json={"count": 2})
    assert response.status_code == 202, response.text
    answer = response.json()
    first, second = (job["job_id"] for job in answer["jobs"])
    done = threading.Event()

    def cancel_soon() -> None:
        done.wait(0.5)
        contract_server.post(f"/api/v1/job/{second}/cancel")

    canceller = threading.Thread(target=cancel_soon)
    canceller.start()
    try:
        events = read_events(contract_server, {"batch": answer["batch_id"]}, count=2)
        resumed = read_events(contract_server, {"job": first, "last_event_id": "0"}, count=1)
    finally:
        done.set()
        canceller.join()
    snapshot, cancelled = events
    assert snapshot.type == "snapshot"
    conforms(document, schemas["snapshot"], snapshot.data)
    assert cancelled.type == "job.cancelled"
    conforms(document, schemas["job.cancelled"], cancelled.data)
    [queued] = resumed
    assert queued.type == "job.queued"
    conforms(document, schemas["job.queued"], queued.data)
    conforms(document, "JobStatus", queued.data["job"])
