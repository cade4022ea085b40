"""`/api/v1/keys` on a real server: make, list, read, change and revoke named keys with an
admin key; the secret is shown once; bad fields are 400s naming them; other keys get 403."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from devkit.server import GazeServer, run_gaze
from tests.support.gaze_servers import SHARED_SERVER_ENV, ServerFactory
from tests.support.ids import unique_id
from tests.support.named_keys import make_key


@pytest.fixture
def admin(server: GazeServer) -> httpx.Client:
    """A client on /api/v1 with the server's default key (admin)."""
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=server.headers, timeout=30)


def _with_key(server: GazeServer, secret: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers={"X-API-Key": secret}, timeout=30)


def _made(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = admin.post("/keys", json=body)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def test_make_a_key_see_its_secret_once_and_use_it(admin: httpx.Client, server: GazeServer) -> None:
    name = f"Kitchen display {unique_id()}"
    answer = admin.post(
        "/keys",
        json={"name": name, "scopes": ["read"], "sfw_only": True, "daily_quota": 50},
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    secret = made.pop("key")
    assert secret.startswith("gz_") and len(secret) > 30
    assert answer.headers["location"] == f"/api/v1/keys/{made['id']}"
    assert made["name"] == name and made["scopes"] == ["read"]
    assert made["sfw_only"] is True and made["daily_quota"] == 50
    assert made["rate_per_minute"] is None and made["high_priority"] is False
    assert made["revoked"] is False and made["read_only"] is False
    assert made["request_count"] == 0 and made["job_count"] == 0 and made["last_used_at"] is None

    with _with_key(server, secret) as kitchen:
        presets = kitchen.get("/presets")
        assert presets.status_code == 200
        assert "example_01" in [preset["slug"] for preset in presets.json()["presets"]]
        refused = kitchen.post("/generate/example_01", json={})
        assert refused.status_code == 403 and refused.json()["code"] == "scope_required"
        assert "'generate'" in refused.json()["error"]

    listed = admin.get("/keys")
    assert listed.status_code == 200
    assert secret not in listed.text
    entry = next(key for key in listed.json()["keys"] if key["id"] == made["id"])
    assert "key" not in entry and entry["name"] == name
    one = admin.get(f"/keys/{made['id']}")
    assert one.status_code == 200 and secret not in one.text and "key" not in one.json()
    assert one.json()["created_at"] == made["created_at"]


def test_the_default_key_is_listed_read_only(admin: httpx.Client) -> None:
    keys = admin.get("/keys").json()["keys"]
    default = keys[0]
    assert default["id"] == "default" and default["name"] == "Default key"
    assert default["scopes"] == ["admin"] and default["read_only"] is True
    assert default["revoked"] is False and default["created_at"]
    assert admin.get("/keys/default").json() == default
    patched = admin.patch("/keys/default", json={"name": "mine"})
    assert patched.status_code == 409 and patched.json()["code"] == "default_key_read_only"
    deleted = admin.delete("/keys/default")
    assert deleted.status_code == 409 and deleted.json()["code"] == "default_key_read_only"
    assert admin.get("/presets").status_code == 200, "the default key still works"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "  ", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "no scopes"}, "scopes"),
        ({"name": "empty scopes", "scopes": []}, "scopes"),
        ({"name": "bad scope", "scopes": ["read", "write"]}, "scopes"),
        ({"name": "scope text", "scopes": "read"}, "scopes"),
        ({"name": "quota zero", "scopes": ["read"], "daily_quota": 0}, "daily_quota"),
        ({"name": "quota text", "scopes": ["read"], "daily_quota": "100/day"}, "daily_quota"),
        ({"name": "rate float", "scopes": ["read"], "rate_per_minute": 1.5}, "rate_per_minute"),
        ({"name": "sfw text", "scopes": ["read"], "sfw_only": "yes"}, "sfw_only"),
        ({"name": "prio number", "scopes": ["read"], "high_priority": 1}, "high_priority"),
        ({"name": "extra", "scopes": ["read"], "owner": "me"}, "owner"),
    ],
)
def test_a_bad_new_key_is_a_400_naming_the_field(
    admin: httpx.Client, body: dict[str, Any], field: str
) -> None:
    before = len(admin.get("/keys").json()["keys"])
    answer = admin.post("/keys", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] in ("invalid_field", "unknown_field")
    assert field in answer.json()["error"]
    assert len(admin.get("/keys").json()["keys"]) == before, "nothing was made"


def test_a_name_that_is_not_unicode_text_is_a_400(admin: httpx.Client) -> None:
    answer = admin.post(
        "/keys",
        content=b'{"name": "\\ud800 lone", "scopes": ["read"]}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("name:")


def test_bodies_that_are_not_a_json_object_are_400(admin: httpx.Client) -> None:
    not_json = admin.post("/keys", content=b"{name", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["code"] == "invalid_json"
    a_list = admin.post("/keys", json=["read"])
    assert a_list.status_code == 400 and a_list.json()["code"] == "invalid_body"


def test_patch_merges_fields_and_takes_effect_at_once(
    admin: httpx.Client, server: GazeServer
) -> None:
    made = _made(admin, name=f"bot {unique_id()}", scopes=["generate"], rate_per_minute=30)
    with _with_key(server, made["key"]) as bot:
        assert bot.get("/jobs").status_code == 200
        patched = admin.patch(
            f"/keys/{made['id']}", json={"scopes": ["read"], "daily_quota": 200, "name": " Bot  2 "}
        )
        assert patched.status_code == 200, patched.text
        body = patched.json()
        assert body["scopes"] == ["read"] and body["daily_quota"] == 200
        assert body["name"] == "Bot 2" and body["rate_per_minute"] == 30, "other fields stay"
        refused = bot.post("/generate/example_01", json={})
        assert refused.status_code == 403 and refused.json()["code"] == "scope_required"
        lifted = admin.patch(f"/keys/{made['id']}", json={"rate_per_minute": None})
        assert lifted.json()["rate_per_minute"] is None and lifted.json()["daily_quota"] == 200
    assert admin.get(f"/keys/{made['id']}").json()["scopes"] == ["read"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scopes": ["superuser"]}, "scopes"),
        ({"daily_quota": -3}, "daily_quota"),
        ({"rate_per_minute": True}, "rate_per_minute"),
        ({"sfw_only": None}, "sfw_only"),
        ({"name": ""}, "name"),
        ({"secret": "gz_mine"}, "secret"),
        ({"revoked": False}, "revoked"),
    ],
)
def test_a_bad_change_is_a_400_naming_the_field_and_changes_nothing(
    admin: httpx.Client, change: dict[str, Any], field: str
) -> None:
    made = _made(admin, name=f"steady {unique_id()}", scopes=["read"])
    answer = admin.patch(f"/keys/{made['id']}", json=change)
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["error"]
    stored = admin.get(f"/keys/{made['id']}").json()
    assert stored["scopes"] == ["read"] and stored["daily_quota"] is None
    assert stored["name"] == made["name"] and stored["revoked"] is False


def test_unknown_keys_are_404(admin: httpx.Client) -> None:
    for answer in (
        admin.get("/keys/no-such-key"),
        admin.patch("/keys/no-such-key", json={"name": "x"}),
        admin.delete("/keys/no-such-key"),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "key_not_found"
        assert "no-such-key" in answer.json()["error"]


def test_revoke_stops_a_key_at_once_and_keeps_it_listed(
    admin: httpx.Client, server: GazeServer
) -> None:
    made = _made(admin, name=f"leaked {unique_id()}", scopes=["library"])
    with _with_key(server, made["key"]) as leaked:
        assert leaked.get("/presets").status_code == 200
        assert admin.delete(f"/keys/{made['id']}").status_code == 204
        refused = leaked.get("/presets")
        assert refused.status_code == 403 and refused.json()["code"] == "invalid_api_key"
    stored = admin.get(f"/keys/{made['id']}").json()
    assert stored["revoked"] is True and stored["revoked_at"]
    assert admin.delete(f"/keys/{made['id']}").status_code == 204, "revoking twice is fine"
    again = admin.patch(f"/keys/{made['id']}", json={"scopes": ["admin"]})
    assert again.status_code == 409 and again.json()["code"] == "key_revoked"
    active = admin.get("/keys", params={"include_revoked": "false"}).json()["keys"]
    assert made["id"] not in [key["id"] for key in active]
    everything = admin.get("/keys").json()["keys"]
    assert made["id"] in [key["id"] for key in everything]


def test_keys_need_the_admin_scope(server: GazeServer) -> None:
    for scope in ("read", "generate", "library"):
        _, secret = make_key(server, f"no admin {scope}", [scope])
        with _with_key(server, secret) as client:
            for answer in (
                client.get("/keys"),
                client.post("/keys", json={"name": "sneaky", "scopes": ["admin"]}),
                client.get("/keys/default"),
                client.patch("/keys/default", json={"name": "x"}),
                client.delete("/keys/default"),
            ):
                assert answer.status_code == 403, answer.text
                assert answer.json()["code"] == "scope_required"
                assert "'admin'" in answer.json()["error"]
    missing = httpx.get(f"{server.url}/api/v1/keys", timeout=30)
    assert missing.status_code == 401


def test_a_named_admin_key_manages_keys_and_may_revoke_itself(server: GazeServer) -> None:
    admin_id, secret = make_key(server, f"second admin {unique_id()}", ["admin"])
    with _with_key(server, secret) as second:
        made = second.post("/keys", json={"name": "made by admin", "scopes": ["generate"]})
        assert made.status_code == 201 and made.json()["key"].startswith("gz_")
        assert second.delete(f"/keys/{made.json()['id']}").status_code == 204
        assert second.delete(f"/keys/{admin_id}").status_code == 204
        gone = second.get("/keys")
        assert gone.status_code == 403 and gone.json()["code"] == "invalid_api_key"


def test_key_use_is_counted(admin: httpx.Client, server: GazeServer) -> None:
    made = _made(admin, name=f"counted {unique_id()}", scopes=["read"])
    with _with_key(server, made["key"]) as counted:
        for _ in range(3):
            assert counted.get("/presets").status_code == 200
    deadline = time.monotonic() + 30  # use is written back every few seconds
    stored = admin.get(f"/keys/{made['id']}").json()
    while stored["request_count"] < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        stored = admin.get(f"/keys/{made['id']}").json()
    assert stored["request_count"] == 3
    assert stored["last_used_at"] is not None
    assert stored["last_used_at"] >= stored["created_at"]


def test_jobs_are_counted_for_the_key_that_queued_them(
    admin: httpx.Client, server: GazeServer
) -> None:
    made = _made(admin, name=f"queues {unique_id()}", scopes=["generate"])
    default_before = admin.get("/keys/default").json()["job_count"]
    with _with_key(server, made["key"]) as bot:
        queued = bot.post("/generate/example_01", json={"count": 2, "width": 64, "height": 64})
        assert queued.status_code == 202, queued.text
    assert admin.get(f"/keys/{made['id']}").json()["job_count"] == 2
    by_default = admin.post("/generate/example_01", json={"width": 64, "height": 64})
    assert by_default.status_code == 202, by_default.text
    assert admin.get("/keys/default").json()["job_count"] >= default_before + 1
    listed = next(key for key in admin.get("/keys").json()["keys"] if key["id"] == made["id"])
    assert listed["job_count"] == 2


def test_key_use_is_written_when_the_server_stops(gaze_server_factory: ServerFactory) -> None:
    stopping = gaze_server_factory(name="keys_stop", env=SHARED_SERVER_ENV)
    _, secret = make_key(stopping, "used then stopped", ["read"])
    for _ in range(3):
        answer = httpx.get(
            f"{stopping.url}/api/v1/presets", headers={"X-API-Key": secret}, timeout=30
        )
        assert answer.status_code == 200
    stopping.stop()  # within the 5 s before the next write-back
    listed = run_gaze(stopping.data_dir, "apikey", "list", "--json", **stopping.env).stdout
    stored = next(key for key in json.loads(listed)["keys"] if key["name"] == "used then stopped")
    assert stored["request_count"] == 3 and stored["last_used_at"] is not None
