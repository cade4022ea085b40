"""`gaze apikey create/list/revoke` on a running server's data folder: the key printed alone
works on the API at once, list shows it without its secret, revoke stops it; bad scopes and
quotas end with a clear message and no key."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx

from devkit.server import GAZE, GazeServer, gaze_env, run_gaze
from tests.support.ids import unique_id


def gaze_apikey(server: GazeServer, *args: str) -> subprocess.CompletedProcess[str]:
    """`gaze apikey ...` on the server's data folder, whatever its exit code."""
    return subprocess.run(
        [GAZE, "apikey", *args],
        env=gaze_env(server.data_dir, COLUMNS="200", **server.env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _presets_status(server: GazeServer, secret: str) -> int:
    return httpx.get(
        f"{server.url}/api/v1/presets", headers={"X-API-Key": secret}, timeout=30
    ).status_code


def _stored_keys(server: GazeServer) -> list[dict[str, object]]:
    listed = gaze_apikey(server, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    keys: list[dict[str, object]] = json.loads(listed.stdout)["keys"]
    return keys


def test_create_prints_only_the_key_and_it_works_at_once(server: GazeServer) -> None:
    name = f"bot {unique_id()}"
    made = gaze_apikey(
        server,
        "create",
        name,
        "--scope",
        "generate",
        "--scope",
        "library",
        "--quota",
        "100/day",
        "--rate",
        "10/min",
        "--high-priority",
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.count("\n") == 1, "one line: the key"
    secret = made.stdout.strip()
    assert secret.startswith("gz_") and " " not in secret and len(secret) > 30
    assert _presets_status(server, secret) == 200, "generate and library imply read"
    refused = httpx.get(
        f"{server.url}/api/v1/keys", headers={"X-API-Key": secret}, timeout=30
    ).json()
    assert refused["code"] == "scope_required"

    stored = next(key for key in _stored_keys(server) if key["name"] == name)
    assert stored["scopes"] == ["generate", "library"]
    assert stored["daily_quota"] == 100 and stored["rate_per_minute"] == 10
    assert stored["high_priority"] is True and stored["sfw_only"] is False
    listed = gaze_apikey(server, "list").stdout
    assert secret not in listed and secret not in json.dumps(_stored_keys(server))
    row = next(line for line in listed.splitlines() if name in line)
    assert str(stored["id"]) in row and "generate,library" in row
    assert "100/day 10/min high-priority" in row and row.split()[-1] == "no"


def test_plain_numbers_comma_scopes_and_sfw(server: GazeServer) -> None:
    name = f"kitchen {unique_id()}"
    made = gaze_apikey(
        server, "create", name, "--scope", "read", "--sfw-only", "--quota", "25", "--rate", "5"
    )
    assert made.returncode == 0, made.stderr
    stored = next(key for key in _stored_keys(server) if key["name"] == name)
    assert stored["scopes"] == ["read"] and stored["sfw_only"] is True
    assert stored["daily_quota"] == 25 and stored["rate_per_minute"] == 5
    both = gaze_apikey(server, "create", f"pair {unique_id()}", "--scope", "read,generate")
    assert both.returncode == 0, both.stderr
    assert _presets_status(server, both.stdout.strip()) == 200


def test_the_default_key_is_listed_first(server: GazeServer) -> None:
    keys = _stored_keys(server)
    assert keys[0]["id"] == "default" and keys[0]["read_only"] is True
    table = gaze_apikey(server, "list").stdout.splitlines()
    assert table[0].split()[:3] == ["id", "name", "scopes"]
    assert table[1].split()[:4] == ["default", "Default", "key", "admin"]


BAD_OPTIONS = [
    (["--scope", "write"], "unknown scope 'write'"),
    (["--scope", ","], "at least one scope"),
    ([], "--scope"),
    (["--scope", "read", "--quota", "100/week"], "--quota"),
    (["--scope", "read", "--quota", "lots"], "--quota"),
    (["--scope", "read", "--quota", "0/day"], "--quota"),
    (["--scope", "read", "--rate", "10/day"], "--rate"),
    (["--scope", "read", "--rate", "-3"], "--rate"),
]


def test_bad_options_and_names_make_no_key(server: GazeServer) -> None:
    prefix = f"bad {unique_id()}"
    wrong: list[str] = []
    for index, (args, named) in enumerate(BAD_OPTIONS):
        result = gaze_apikey(server, "create", f"{prefix} {index}", *args)
        if result.returncode == 0 or result.stdout or named not in result.stderr:
            wrong.append(f"{args}: {result.returncode} {result.stdout!r} {result.stderr!r}")
    blank = gaze_apikey(server, "create", "   ", "--scope", "read")
    assert blank.returncode != 0 and blank.stdout == "" and "name" in blank.stderr
    assert not wrong, "\n".join(wrong)
    names = [str(key["name"]) for key in _stored_keys(server)]
    assert not [name for name in names if name.startswith(prefix)]
    assert "" not in names


def test_revoke_stops_the_key_in_the_running_server(server: GazeServer) -> None:
    name = f"leaked {unique_id()}"
    secret = gaze_apikey(server, "create", name, "--scope", "read").stdout.strip()
    assert _presets_status(server, secret) == 200
    key_id = str(next(key["id"] for key in _stored_keys(server) if key["name"] == name))
    revoked = gaze_apikey(server, "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == f"Revoked {key_id} ({name}).\n"
    deadline = time.monotonic() + 10
    status = _presets_status(server, secret)
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
        status = _presets_status(server, secret)
    assert status == 403
    stored = next(key for key in _stored_keys(server) if key["id"] == key_id)
    assert stored["revoked"] is True
    row = next(line for line in gaze_apikey(server, "list").stdout.splitlines() if key_id in line)
    assert row.split()[-1] != "no"


def test_revoke_refuses_unknown_ids_and_the_default_key(server: GazeServer) -> None:
    unknown = gaze_apikey(server, "revoke", "no-such-key")
    assert unknown.returncode == 1 and "no API key with id 'no-such-key'" in unknown.stderr
    default = gaze_apikey(server, "revoke", "default")
    assert default.returncode != 0 and "gaze apikey regenerate" in default.stderr
    assert _presets_status(server, server.api_key) == 200


def test_regenerate_still_prints_only_the_default_key(fresh_data: Path) -> None:
    first = run_gaze(fresh_data, "apikey", "regenerate").stdout
    second = run_gaze(fresh_data, "apikey", "regenerate").stdout
    assert first.count("\n") == 1 and first.startswith("gz_") and first != second
