"""Per-key limits over HTTP: images per day (429 daily_quota_exceeded, Retry-After), requests
per minute (429 rate_limited, Retry-After), `"priority": "high"` only for keys allowed it,
every job stamped with the key that queued it, and queue positions in the fair order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.db.models import JobRow
from tests.support.gaze_servers import GazeServers
from tests.support.ids import unique_id
from tests.support.job_calls import FAST, job_ids
from tests.support.named_keys import database_url_of, make_key

DAY = 24 * 3600


@pytest.fixture(scope="module")
def idle_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """No worker: what is queued stays pending, so positions and counts hold still."""
    with gaze_servers.running("--no-worker", name="key_quotas") as running:
        yield running


def generate(server: GazeServer, secret: str | None, **body: Any) -> httpx.Response:
    headers = {"X-API-Key": secret} if secret else None
    return server.post("/api/v1/generate/example_01", headers=headers, json={**FAST, **body})


def compose(server: GazeServer, secret: str, **body: Any) -> httpx.Response:
    recipe = {"checkpoint": "gaze-demo-sd15-tiny.safetensors", "positive": "a lighthouse"}
    return server.post(
        "/api/v1/generate", headers={"X-API-Key": secret}, json={"recipe": recipe, **FAST, **body}
    )


def stored_jobs(server: GazeServer, ids: list[str]) -> dict[str, JobRow]:
    database = Database(database_url_of(server))
    try:
        with database.session() as session:
            rows = session.query(JobRow).filter(JobRow.id.in_(ids)).all()
            return {row.id: row for row in rows}
    finally:
        database.dispose()


def assert_refused(response: httpx.Response, status: int, code: str, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    for word in words:
        assert word in body["error"], body
    return str(body["error"])


def test_images_per_day_are_counted_per_key_and_refused_with_retry_after(
    idle_server: GazeServer,
) -> None:
    name = f"kitchen bot {unique_id()}"
    key_id, secret = make_key(idle_server, name, ["generate"], daily_quota=3)
    assert generate(idle_server, secret, count=2).status_code == 202
    refused = generate(idle_server, secret, count=2)
    assert_refused(
        refused,
        429,
        "daily_quota_exceeded",
        f"'{name}'",
        "at most 3 images per day",
        "queued 2 in the last 24 hours",
        "adds 2",
    )
    retry_after = int(refused.headers["Retry-After"])
    assert DAY - 120 < retry_after <= DAY, "when the first of the two ages out"
    assert compose(idle_server, secret).status_code == 202, "one more fits"
    assert_refused(compose(idle_server, secret), 429, "daily_quota_exceeded", "3 images per day")
    assert_refused(
        generate(idle_server, secret, count=4), 400, "count_over_daily_quota", "at most 3"
    )
    other_id, other = make_key(idle_server, f"other bot {unique_id()}", ["generate"], daily_quota=3)
    assert generate(idle_server, other, count=3).status_code == 202, "each key its own quota"
    assert generate(idle_server, None, count=5).status_code == 202, "the default key has none"
    listed = idle_server.get("/api/v1/jobs", params={"status": "pending", "limit": 200}).json()
    owners = stored_jobs(idle_server, [job["id"] for job in listed["jobs"]])
    counts = {key: 0 for key in (key_id, other_id)}
    for row in owners.values():
        if row.api_key_id in counts:
            counts[row.api_key_id] += 1
    assert counts == {key_id: 3, other_id: 3}, "refused requests queued nothing"


def test_requests_per_minute_are_limited_per_key(idle_server: GazeServer) -> None:
    name = f"dashboard {unique_id()}"
    _, secret = make_key(idle_server, name, ["read"], rate_per_minute=5)
    _, other = make_key(idle_server, f"other dashboard {unique_id()}", ["read"], rate_per_minute=5)
    headers = {"X-API-Key": secret}
    answers = [idle_server.get("/api/v1/queue", headers=headers) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [200] * 5
    refused = idle_server.get("/api/v1/presets", headers=headers)
    assert_refused(refused, 429, "rate_limited", f"'{name}'", "at most 5 requests per minute")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    also_refused = generate(idle_server, secret)
    assert also_refused.status_code == 429, "every request of the key counts, any route"
    assert idle_server.get("/api/v1/queue", headers={"X-API-Key": other}).status_code == 200
    assert idle_server.get("/api/v1/queue").status_code == 200, "the default key has no limit"


def test_high_priority_only_for_keys_allowed_it(idle_server: GazeServer) -> None:
    name = f"bot {unique_id()}"
    _, plain = make_key(idle_server, name, ["generate"])
    _, allowed = make_key(idle_server, f"doorbell {unique_id()}", ["generate"], high_priority=True)
    assert_refused(
        generate(idle_server, plain, priority="high"),
        403,
        "priority_not_allowed",
        f"'{name}'",
        "priority",
    )
    assert_refused(compose(idle_server, plain, priority="high"), 403, "priority_not_allowed")
    assert_refused(
        generate(idle_server, plain, priority="urgent"), 400, "invalid_priority", "urgent"
    )
    normal = job_ids(generate(idle_server, plain, priority="normal").json())
    high = job_ids(generate(idle_server, allowed, priority="high").json())
    by_default = job_ids(generate(idle_server, None, priority="high").json())
    rows = stored_jobs(idle_server, normal + high + by_default)
    assert [rows[job_id].priority for job_id in normal + high + by_default] == [0, 1, 1]
    schema = idle_server.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/generate/{preset_slug}"]["post"]["requestBody"]
    priority = body["content"]["application/json"]["schema"]["properties"]["priority"]
    assert priority["enum"] == ["normal", "high"]


def test_every_job_records_the_key_that_queued_it(idle_server: GazeServer) -> None:
    key_id, secret = make_key(idle_server, f"bot {unique_id()}", ["generate"])
    by_key = job_ids(generate(idle_server, secret).json())
    by_default = job_ids(generate(idle_server, None).json())
    with httpx.Client(base_url=idle_server.url, timeout=30) as client:
        client.get("/presets/example_01")
        from_ui = client.post(
            "/ui/presets/example_01/generate",
            json={"count": 1, **FAST},
            headers={"X-CSRF-Token": client.cookies["gaze_csrf"]},
        )
    assert from_ui.status_code == 202, from_ui.text
    by_ui = [job["id"] for job in from_ui.json()["jobs"]]
    retried = idle_server.post(f"/api/v1/job/{by_key[0]}/cancel")
    assert retried.status_code == 200
    again = idle_server.post(f"/api/v1/job/{by_key[0]}/retry", headers={"X-API-Key": secret})
    assert again.status_code == 202, again.text
    rows = stored_jobs(idle_server, by_key + by_default + by_ui + job_ids(again.json()))
    assert [row.api_key_id for row in rows.values() if row.id in by_key] == [key_id]
    assert rows[by_default[0]].api_key_id == "default"
    assert rows[by_ui[0]].api_key_id is None, "the web UI's jobs have no key"
    assert rows[job_ids(again.json())[0]].api_key_id == key_id, "a retry is its caller's"


def test_queue_positions_follow_priority_and_turns(idle_server: GazeServer) -> None:
    _, first = make_key(idle_server, f"burst {unique_id()}", ["generate"])
    _, second = make_key(idle_server, f"later {unique_id()}", ["generate"])
    burst = job_ids(generate(idle_server, first, count=3).json())
    later = job_ids(generate(idle_server, second, count=2).json())
    urgent = job_ids(generate(idle_server, None, priority="high").json())
    positions = {
        job_id: idle_server.get(f"/api/v1/job/{job_id}").json()["queue_position"]
        for job_id in burst + later + urgent
    }
    ordered = sorted(positions, key=positions.__getitem__)
    assert ordered == [urgent[0], burst[0], later[0], burst[1], later[1], burst[2]]
    listed = idle_server.get("/api/v1/jobs", params={"status": "pending", "limit": 200}).json()
    from_list = {job["id"]: job["queue_position"] for job in listed["jobs"]}
    assert {job_id: from_list[job_id] for job_id in positions} == positions
