"""Job ownership (issue 17): a key that is not admin sees, cancels and follows up only the jobs
it made (another key's job, batch or grid is `404`); admin keys see every job; lists filter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from devkit.server import GazeServer
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers
from tests.support.named_keys import make_key

TINY = {"width": 64, "height": 64}
CFG_AXIS = {"axis": "cfg", "values": [4, 7]}


@dataclass(frozen=True)
class Keys:
    owner: str
    other: str
    reader: str
    named_admin: str
    default: str


@dataclass(frozen=True)
class OwnedJob:
    job_id: str
    batch_id: str


@pytest.fixture(scope="module")
def owned_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    with gaze_servers.running(name="ownership", env=SHARED_SERVER_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def keys(owned_server: GazeServer) -> Keys:
    return Keys(
        owner=make_key(owned_server, "kitchen bot", ["generate"])[1],
        other=make_key(owned_server, "other bot", ["generate"])[1],
        reader=make_key(owned_server, "display", ["read"])[1],
        named_admin=make_key(owned_server, "second admin", ["admin"])[1],
        default=owned_server.api_key,
    )


def _client(server: GazeServer, secret: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers={"X-API-Key": secret}, timeout=60)


def _generate(server: GazeServer, secret: str, **body: object) -> OwnedJob:
    with _client(server, secret) as client:
        response = client.post("/generate/example_01", json={**TINY, **body})
    assert response.status_code == 202, response.text
    answer = response.json()
    return OwnedJob(answer["jobs"][0]["job_id"], answer["batch_id"])


@pytest.fixture(scope="module")
def done_job(owned_server: GazeServer, keys: Keys) -> OwnedJob:
    """A done job made by the `owner` key."""
    job = _generate(owned_server, keys.owner, seed=5)
    assert owned_server.wait_for_job(job.job_id)["status"] == "done"
    return job


def _not_found(response: httpx.Response, code: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["code"] == code


def test_the_owner_sees_its_job_and_the_job_records_its_key(
    owned_server: GazeServer, keys: Keys, done_job: OwnedJob
) -> None:
    with _client(owned_server, keys.owner) as client:
        for _ in range(3):  # from the database, then from memory
            answer = client.get(f"/job/{done_job.job_id}")
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "done" and "result" in answer.json()
        assert client.get(f"/batch/{done_job.batch_id}").json()["total"] == 1
        assert client.get(f"/job/{done_job.job_id}/webhooks").json() == {"deliveries": []}


def test_another_key_gets_404_on_every_route_of_the_job(
    owned_server: GazeServer, keys: Keys, done_job: OwnedJob
) -> None:
    job, batch = done_job.job_id, done_job.batch_id
    for secret in (keys.other, keys.reader):
        with _client(owned_server, secret) as client:
            for _ in range(3):  # a finished job's poll is answered from memory after the first
                _not_found(client.get(f"/job/{job}"), "job_not_found")
            _not_found(client.get(f"/job/{job}", params={"api_key": secret}), "job_not_found")
            _not_found(client.get(f"/job/{job}/webhooks"), "job_not_found")
            _not_found(client.get(f"/batch/{batch}"), "batch_not_found")
    with _client(owned_server, keys.other) as client:
        _not_found(client.post(f"/job/{job}/cancel"), "job_not_found")
        _not_found(client.post(f"/job/{job}/retry"), "job_not_found")
        _not_found(client.post(f"/job/{job}/upscale", json={"scale": 1.5}), "job_not_found")
        _not_found(client.post(f"/job/{job}/vary", json={"count": 1}), "job_not_found")
        _not_found(
            client.post(f"/job/{job}/inpaint", json={"mask": "inputs/none.png"}), "job_not_found"
        )
        _not_found(client.post(f"/batch/{batch}/cancel"), "batch_not_found")
        listed = client.get("/jobs", params={"batch_id": batch}).json()
        assert listed == {"jobs": [], "next_cursor": None}


def test_the_404_of_another_keys_job_is_the_404_of_no_job(
    owned_server: GazeServer, keys: Keys, done_job: OwnedJob
) -> None:
    """Nothing tells another key's job from a job that does not exist."""
    with _client(owned_server, keys.other) as client:
        hidden = client.get(f"/job/{done_job.job_id}")
        missing = client.get("/job/783f0268-ba85-4426-8ca2-6393c844c887")
    assert hidden.json()["error"] == f"No job with id {done_job.job_id!r}."
    assert missing.json()["error"] == "No job with id '783f0268-ba85-4426-8ca2-6393c844c887'."
    assert hidden.headers["content-type"] == missing.headers["content-type"]


def test_admin_keys_see_and_follow_up_every_job(
    owned_server: GazeServer, keys: Keys, done_job: OwnedJob
) -> None:
    for secret in (keys.default, keys.named_admin):
        with _client(owned_server, secret) as client:
            assert client.get(f"/job/{done_job.job_id}").json()["status"] == "done"
            assert client.get(f"/batch/{done_job.batch_id}").json()["total"] == 1
            assert client.get(f"/job/{done_job.job_id}/webhooks").status_code == 200
            listed = client.get("/jobs", params={"batch_id": done_job.batch_id}).json()
            assert [job["id"] for job in listed["jobs"]] == [done_job.job_id]
            cancelled = client.post(f"/job/{done_job.job_id}/cancel")
            assert cancelled.status_code == 200 and cancelled.json()["status"] == "done"
    with _client(owned_server, keys.named_admin) as client:
        retried = client.post(f"/job/{done_job.job_id}/retry")
        assert retried.status_code == 202, retried.text
        retry_id = retried.json()["jobs"][0]["job_id"]
    # the retry belongs to the admin key that asked for it, not to the original's owner
    assert owned_server.wait_for_job(retry_id)["status"] == "done"
    with _client(owned_server, keys.owner) as client:
        _not_found(client.get(f"/job/{retry_id}"), "job_not_found")


def test_the_owner_retries_and_cancels_its_own_jobs(
    owned_server: GazeServer, keys: Keys, done_job: OwnedJob
) -> None:
    with _client(owned_server, keys.owner) as client:
        retried = client.post(f"/job/{done_job.job_id}/retry")
        assert retried.status_code == 202, retried.text
        retry_id = retried.json()["jobs"][0]["job_id"]
        cancelled = client.post(f"/job/{retry_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["id"] == retry_id
        batch = client.post(f"/batch/{retried.json()['batch_id']}/cancel")
        assert batch.status_code == 200 and batch.json()["total"] == 1
        assert client.post(f"/job/{done_job.job_id}/vary", json={"count": 1}).status_code == 202
    with _client(owned_server, keys.other) as client:
        _not_found(client.get(f"/job/{retry_id}"), "job_not_found")


def test_active_jobs_of_another_key_are_hidden_too(owned_server: GazeServer, keys: Keys) -> None:
    queued = _generate(owned_server, keys.owner, count=3, seed=20)
    with _client(owned_server, keys.owner) as client:
        ids = [job["id"] for job in client.get(f"/batch/{queued.batch_id}").json()["jobs"]]
    assert len(ids) == 3
    with _client(owned_server, keys.other) as client:
        for job_id in ids:  # whatever status each has reached by now
            _not_found(client.get(f"/job/{job_id}"), "job_not_found")
            _not_found(client.post(f"/job/{job_id}/cancel"), "job_not_found")
        queue = client.get("/queue")
        assert queue.status_code == 200 and set(queue.json()) == {"pending", "processing"}
    with _client(owned_server, keys.owner) as client:
        assert client.post(f"/batch/{queued.batch_id}/cancel").status_code == 200


def test_lists_show_a_key_only_its_own_jobs(
    owned_server: GazeServer, keys: Keys, done_job: OwnedJob
) -> None:
    theirs = _generate(owned_server, keys.other, seed=7)
    owned_server.wait_for_job(theirs.job_id)

    def listed(secret: str) -> set[str]:
        seen: set[str] = set()
        with _client(owned_server, secret) as client:
            cursor = None
            while True:
                params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
                page = client.get("/jobs", params=params).json()
                seen |= {job["id"] for job in page["jobs"]}
                cursor = page["next_cursor"]
                if cursor is None:
                    return seen

    mine, other, everyone = listed(keys.owner), listed(keys.other), listed(keys.default)
    assert done_job.job_id in mine and theirs.job_id not in mine
    assert theirs.job_id in other and done_job.job_id not in other
    assert {done_job.job_id, theirs.job_id} <= everyone
    assert mine | other <= everyone and not mine & other
    assert listed(keys.reader) == set()


def test_another_keys_grid_is_not_found(owned_server: GazeServer, keys: Keys) -> None:
    with _client(owned_server, keys.owner) as client:
        created = client.post(
            "/grids",
            json={
                "preset": "example_01",
                **TINY,
                "seed": 3,
                "x": {"axis": "cfg", "values": [4, 7]},
            },
        )
        assert created.status_code == 202, created.text
        grid_id = created.json()["grid_id"]
        assert client.get(f"/grid/{grid_id}").status_code == 200
    with _client(owned_server, keys.other) as client:
        _not_found(client.get(f"/grid/{grid_id}"), "grid_not_found")
    with _client(owned_server, keys.named_admin) as client:
        assert client.get(f"/grid/{grid_id}").json()["grid_id"] == grid_id
