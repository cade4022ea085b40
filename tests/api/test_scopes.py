"""Every /api/v1 route needs one scope, read from the route table itself: a route added
without a scope fails here, and a key without a route's scope gets `403 scope_required`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from devkit.server import GazeServer
from gaze.api.auth import ScopeCheck
from gaze.app import create_app
from gaze.runtime import open_runtime
from gaze.security.principal import SCOPES, Principal
from gaze.settings import Settings
from tests.support.named_keys import make_key


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """The app's routes as served (FastAPI includes routers lazily: walk their contexts)."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        elif isinstance(route, APIRoute):
            yield route


def _scopes_of(route: Any) -> list[str]:
    found = [
        dependency.dependency.scope
        for dependency in route.dependencies
        if isinstance(dependency.dependency, ScopeCheck)
    ]
    inline = getattr(route.endpoint, "required_scope", None)
    return [*found, inline] if inline else found


@pytest.fixture(scope="module")
def route_table(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    """(method, path, scope) of every /api/v1 route."""
    data_dir: Path = tmp_path_factory.mktemp("route-table")
    runtime = open_runtime(Settings(data_dir=data_dir))
    try:
        app = create_app(runtime, with_worker=False)
        table: list[tuple[str, str, str]] = []
        unscoped: list[str] = []
        for route in _api_routes(app):
            if not route.path.startswith("/api/v1") or route.path == "/api/v1/openapi.json":
                continue
            scopes = _scopes_of(route)
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                if len(scopes) != 1:
                    unscoped.append(f"{method} {route.path}: {scopes or 'no scope'}")
                else:
                    table.append((method, route.path, scopes[0]))
        assert not unscoped, f"routes without exactly one scope: {unscoped}"
    finally:
        runtime.close()
    return table


def test_every_api_route_declares_one_known_scope(
    route_table: list[tuple[str, str, str]],
) -> None:
    assert len(route_table) > 60
    assert {scope for _, _, scope in route_table} == set(SCOPES)
    by_route = {(method, path): scope for method, path, scope in route_table}
    assert by_route[("GET", "/api/v1/job/{job_id}")] == "read"
    assert by_route[("POST", "/api/v1/generate/{preset_slug}")] == "generate"
    assert by_route[("DELETE", "/api/v1/presets/{slug}")] == "library"
    assert by_route[("POST", "/api/v1/presets/{slug}/resolve")] == "read"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "scope-test", path)


@pytest.fixture(scope="module")
def keys_by_scope(server: GazeServer) -> dict[str, str]:
    """A key with only that scope, for each scope."""
    return {scope: make_key(server, f"only {scope}", [scope])[1] for scope in SCOPES}


def _answer(client: httpx.Client, method: str, path: str, secret: str) -> tuple[int, Any]:
    """The status and JSON body of a request (an event stream is closed at its first byte)."""
    with client.stream(method, path, headers={"X-API-Key": secret}, json={}) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, {}
        content = response.read()
    return response.status_code, json.loads(content) if content[:1] == b"{" else {}


def test_a_key_without_the_scope_of_a_route_is_refused_on_every_route(
    server: GazeServer, route_table: list[tuple[str, str, str]], keys_by_scope: dict[str, str]
) -> None:
    refused = allowed = 0
    wrong: list[str] = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for method, path, scope in route_table:
            for key_scope, secret in keys_by_scope.items():
                holder = Principal(key_id="x", name="x", scopes=frozenset({key_scope}))
                status, body = _answer(client, method, _concrete(path), secret)
                code = body.get("code")
                if holder.allows(scope):
                    allowed += 1
                    if code == "scope_required" or status >= 500:
                        wrong.append(f"{method} {path} with {key_scope}: {status}")
                else:
                    refused += 1
                    if status != 403 or code != "scope_required":
                        wrong.append(f"{method} {path} with {key_scope}: {status} {body}")
                    elif f"'{scope}'" not in body["error"]:
                        wrong.append(f"{method} {path}: the error names no scope")
    assert not wrong, "\n".join(wrong)
    assert refused > 50 and allowed > 100


def test_scopes_imply_read_and_admin_implies_every_scope() -> None:
    def holder(*scopes: str) -> Principal:
        return Principal(key_id="x", name="x", scopes=frozenset(scopes))

    assert holder("generate").allows("read") and holder("library").allows("read")
    assert not holder("read").allows("generate") and not holder("generate").allows("library")
    assert all(holder("admin").allows(scope) for scope in SCOPES)
    assert not holder("library").allows("admin")
