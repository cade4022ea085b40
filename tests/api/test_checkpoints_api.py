"""/api/v1/checkpoints and /api/v1/loras against a real server with the embedded backend, and
the OpenAPI document of the library routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from safetensors.numpy import save_file

from devkit.server import GazeServer
from tests.support.ids import unique_id

DEMO = "gaze-demo-sd15-tiny.safetensors"
DEMO_PREFIX = "masterpiece, best quality"


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    message: str = response.json()["error"]
    return message


def write_model(path: Path, keys: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: np.zeros(2, dtype=np.float32) for key in keys}, str(path))


def test_the_catalogue_merges_backend_files_with_stored_settings(api: httpx.Client) -> None:
    entries = {entry["path"]: entry for entry in api.get("/checkpoints").json()["checkpoints"]}
    demo = entries[DEMO]
    assert demo["available"] is True
    assert demo["backends"] == ["local"]
    assert demo["has_settings"] is True
    assert demo["base_model_source"] == "settings"
    assert demo["name"] == "GAZE demo (tiny SD 1.5, random weights)"
    assert demo["settings"]["prefix"] == "masterpiece, best quality"
    assert api.get(f"/checkpoints/{DEMO}").json() == demo


def test_a_local_file_without_settings_gets_its_base_model_from_its_header(
    api: httpx.Client, library_server: GazeServer
) -> None:
    folder = unique_id("xl")
    checkpoints = library_server.data_dir / "models" / "checkpoints"
    write_model(checkpoints / folder / "model.safetensors", ["conditioner.embedders.1.model.w"])
    write_model(checkpoints / folder / "plain.safetensors", ["model.diffusion_model.w"])
    sdxl = api.get(f"/checkpoints/{folder}/model.safetensors").json()
    assert sdxl["available"] is True
    assert sdxl["has_settings"] is False
    assert (sdxl["base_model"], sdxl["base_model_source"]) == ("sdxl", "file")
    assert (sdxl["settings"]["width"], sdxl["settings"]["height"]) == (1024, 1024)
    assert sdxl["name"] == "model"
    plain = api.get(f"/checkpoints/{folder}/plain.safetensors").json()
    assert (plain["base_model"], plain["base_model_source"]) == ("sd1", "file")
    listed = [entry["path"] for entry in api.get("/checkpoints").json()["checkpoints"]]
    assert f"{folder}/model.safetensors" in listed
    assert listed == sorted(listed)


def test_settings_are_stored_replaced_and_patched(api: httpx.Client) -> None:
    path = f"{unique_id('remote')}/model.safetensors"
    error_of(api.get(f"/checkpoints/{path}"), 404, "checkpoint_not_found")
    error_of(api.patch(f"/checkpoints/{path}", json={"steps": 4}), 404, "checkpoint_not_found")
    stored = api.put(f"/checkpoints/{path}", json={"base_model": "sdxl", "steps": 30})
    assert stored.status_code == 200, stored.text
    entry = stored.json()
    assert (entry["available"], entry["backends"], entry["has_settings"]) == (False, [], True)
    assert entry["settings"]["path"] == path
    assert (entry["settings"]["width"], entry["settings"]["height"]) == (1024, 1024)
    assert path in [item["path"] for item in api.get("/checkpoints").json()["checkpoints"]]

    patched = api.patch(f"/checkpoints/{path}", json={"cfg": 5.5, "prefix": "score_9"}).json()
    assert patched["settings"]["steps"] == 30, "a patch keeps what it does not name"
    assert (patched["settings"]["cfg"], patched["settings"]["prefix"]) == (5.5, "score_9")
    moved = api.patch(f"/checkpoints/{path}", json={"base_model": "sd1"}).json()["settings"]
    assert (moved["width"], moved["height"]) == (512, 512), "a default size follows the model"
    assert api.get(f"/checkpoints/{path}").json()["settings"] == moved


def test_the_demo_checkpoint_settings_change_what_presets_resolve_to(api: httpx.Client) -> None:
    before = api.post("/presets/example_04/resolve", json={"seed": 1}).json()
    assert before["spec"]["steps"] == 20
    try:
        api.patch(f"/checkpoints/{DEMO}", json={"steps": 9, "prefix": "new prefix"})
        after = api.post("/presets/example_04/resolve", json={"seed": 1}).json()
        assert after["spec"]["steps"] == 9
        assert after["prompt"].startswith("new prefix, ")
    finally:
        api.patch(f"/checkpoints/{DEMO}", json={"steps": 20, "prefix": DEMO_PREFIX})


@pytest.mark.parametrize(
    ("body", "code", "part"),
    [
        ({"steps": 0}, "invalid_document", "steps: Input should be greater than or equal to 1"),
        ({"base_model": "sd3"}, "invalid_document", "base_model: Input should be 'sd1' or 'sdxl'"),
        ({"width": 100, "height": 64}, "invalid_document", "width: must be a multiple of 8"),
        ({"path": "other.safetensors"}, "path_mismatch", "path: must be"),
        ("steps=3", "invalid_document", "must be a JSON object"),
    ],
)
def test_invalid_settings_are_400(api: httpx.Client, body: Any, code: str, part: str) -> None:
    assert part in error_of(api.put("/checkpoints/some/model.safetensors", json=body), 400, code)


@pytest.mark.parametrize(
    "raw_path",
    [
        "/api/v1/checkpoints/..%2F..%2Fgaze.db",
        "/api/v1/checkpoints/a/%2E%2E/b.safetensors",
        "/api/v1/checkpoints//etc/passwd",
        "/api/v1/checkpoints/C:%5Cmodels%5Cx.safetensors",
        "/api/v1/checkpoints/a%5C..%5Cb.safetensors",
        "/api/v1/checkpoints/",
    ],
)
def test_unsafe_checkpoint_paths_are_400(library_server: GazeServer, raw_path: str) -> None:
    for method in ("GET", "PUT", "PATCH"):
        request = httpx.Request(
            method,
            httpx.URL(library_server.url).copy_with(raw_path=raw_path.encode()),
            headers=library_server.headers,
            json={"steps": 3},
        )
        with httpx.Client(timeout=30) as client:
            response = client.send(request)
        error_of(response, 400, "invalid_path")


def test_loras_lists_the_backends_lora_files(api: httpx.Client, library_server: GazeServer) -> None:
    folder = unique_id("styles")
    write_model(library_server.data_dir / "models" / "loras" / folder / "ink.safetensors", ["w"])
    loras = api.get("/loras").json()["loras"]
    ink = {
        "path": f"{folder}/ink.safetensors",
        "name": "ink",
        "backends": ["local"],
        "metadata": None,
    }
    assert ink in loras
    assert [item["path"] for item in loras] == sorted(item["path"] for item in loras)


# --- the OpenAPI document ------------------------------------------------------------------------


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


def test_the_openapi_document_describes_the_library_routes(library_server: GazeServer) -> None:
    document = httpx.get(f"{library_server.url}/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for ref in references(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    paths = document["paths"]
    for category, model in (("characters", "Character"), ("detailers", "Detailer")):
        listing = paths[f"/api/v1/{category}"]
        assert {parameter["name"] for parameter in listing["get"]["parameters"]} >= {
            "q",
            "tag",
            "favourite",
            "nsfw",
            "limit",
            "cursor",
        }
        assert "ResourcePage" in str(listing["get"]["responses"]["200"])
        body = listing["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"}
        one = paths[f"/api/v1/{category}/{{resource_id}}"]
        assert set(one) == {"get", "put", "patch", "delete"}
        assert "409" in one["delete"]["responses"]
    presets = paths["/api/v1/presets"]
    assert "PresetListing" in str(presets["get"]["responses"]["200"])
    assert "ResolvedPreset" in str(paths["/api/v1/presets/{slug}/resolve"]["post"]["responses"])
    assert "CheckpointList" in str(paths["/api/v1/checkpoints"]["get"]["responses"]["200"])
    assert set(paths["/api/v1/checkpoints/{path}"]) == {"get", "put", "patch"}
    assert "LoraList" in str(paths["/api/v1/loras"]["get"]["responses"]["200"])
    operation_ids = [
        operation["operationId"] for path in paths.values() for operation in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
