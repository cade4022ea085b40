"""Strength sweeps through the API on the embedded engine: a resource's LoRA from its weight
range's minimum to its maximum across seeds runs to a sheet; recipe grids; the refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devkit.server import GazeServer, copy_data
from devkit.tiny_lora import write_tiny_lora
from tests.grids.test_grids_api import wait_for_grid
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

LORA = "sweep/tiny_style.safetensors"
TINY = {"width": 64, "height": 64}


def sweep_data(prepared_data: Path, folder: Path) -> Path:
    """The prepared data with a tiny SD1 LoRA in models/loras."""
    data = copy_data(prepared_data, folder / "data")
    lora = data / "models" / "loras" / LORA
    lora.parent.mkdir(parents=True, exist_ok=True)
    write_tiny_lora(lora, "sd1", seed=5)
    return data


@pytest.fixture(scope="module")
def sweep_server(
    gaze_servers: GazeServers, prepared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GazeServer]:
    data = sweep_data(prepared_data, tmp_path_factory.mktemp("sweeps"))
    with gaze_servers.running(data_dir=data, env=SHARED_SERVER_ENV) as running:
        add_style(running, "ranged_ink", {"file": LORA, "weight": {"min": 0.2, "max": 0.8}})
        add_style(running, "fixed_ink", {"file": LORA, "weight": 1.5})
        yield running


def add_style(server: GazeServer, style_id: str, lora: dict[str, Any] | None) -> None:
    document: dict[str, Any] = {
        "id": style_id,
        "name": style_id.replace("_", " ").title(),
        "fields": {"style": {"medium": "ink drawing"}},
        "default_fields": ["style::medium"],
    }
    if lora is not None:
        document["lora"] = lora
    response = server.post("/api/v1/styles", json=document)
    assert response.status_code in (200, 201), response.text


def test_a_sweep_runs_from_the_range_minimum_to_its_maximum(sweep_server: GazeServer) -> None:
    response = sweep_server.post(
        "/api/v1/styles/ranged_ink/strength-sweep", json={"seeds": [3, 4], "steps": 4, **TINY}
    )
    assert response.status_code == 202, response.text
    created = response.json()
    assert len(created["jobs"]) == 8
    grid = wait_for_grid(sweep_server, created["grid_id"])
    assert grid["sweep"] == {"category": "styles", "id": "ranged_ink"}
    assert grid["preset"] is None
    assert grid["recipe"]["slots"] == {"styles": "ranged_ink"}
    assert grid["axes"]["x"] == {
        "axis": "lora_weight",
        "lora": LORA,
        "values": [0.2, 0.4, 0.6, 0.8],
    }
    assert grid["axes"]["y"] == {"axis": "seed", "values": [3, 4]}
    assert grid["progress"]["done"] == 8, grid["progress"]
    assert grid["image_url"]
    assert [cell["labels"]["x"] for cell in grid["cells"][:4]] == [
        f"tiny_style: {weight}" for weight in ("0.2", "0.4", "0.6", "0.8")
    ]
    job = sweep_server.get(f"/api/v1/job/{grid['cells'][1]['job_id']}").json()
    assert job["label"] == "Grid: Composed: Ranged Ink – tiny_style: 0.4, Seed: 3"
    lightest, heaviest = (image_bytes(sweep_server, grid["cells"][i]) for i in (0, 3))
    assert lightest != heaviest, "the LoRA's weight changes the picture"


def test_a_fixed_weight_sweeps_from_zero_and_the_default_body_is_three_seeds(
    sweep_server: GazeServer,
) -> None:
    response = sweep_server.post("/api/v1/styles/fixed_ink/strength-sweep", json=TINY)
    assert response.status_code == 202, response.text
    grid = sweep_server.get(f"/api/v1/grid/{response.json()['grid_id']}").json()
    assert grid["axes"]["x"]["values"] == [0.0, 0.38, 0.75, 1.12, 1.5]
    assert len(grid["axes"]["y"]["values"]) == 3
    assert grid["progress"]["total"] == 15


def test_a_sweep_inside_a_preset_keeps_its_other_slots(sweep_server: GazeServer) -> None:
    response = sweep_server.post(
        "/api/v1/styles/ranged_ink/strength-sweep",
        json={"preset": "example_01", "seeds": 1, "steps": 2, **TINY},
    )
    assert response.status_code == 202, response.text
    grid = sweep_server.get(f"/api/v1/grid/{response.json()['grid_id']}").json()
    assert grid["recipe"]["styles"] == "ranged_ink"
    assert grid["recipe"]["characters"] != {"mode": "none"}
    assert grid["axes"]["x"]["values"] == [0.2, 0.8]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/v1/styles/watercolor/strength-sweep", {}, 400, "no_lora"),
        ("/api/v1/styles/no_such_style/strength-sweep", {}, 404, "style_not_found"),
        ("/api/v1/styles/ranged_ink/strength-sweep", {"steps": 1}, 400, "invalid_document"),
        ("/api/v1/styles/ranged_ink/strength-sweep", {"seeds": 0}, 400, "invalid_document"),
        ("/api/v1/styles/ranged_ink/strength-sweep", {"colour": 1}, 400, "invalid_document"),
        ("/api/v1/styles/ranged_ink/strength-sweep", {"preset": "nope"}, 404, "preset_not_found"),
        (
            "/api/v1/styles/ranged_ink/strength-sweep",
            {"checkpoint": "nope.safetensors"},
            400,
            "unknown_checkpoint",
        ),
    ],
)
def test_sweeps_refuse_with_the_reason(
    sweep_server: GazeServer, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    before = job_ids(sweep_server)
    response = sweep_server.post(path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text
    assert job_ids(sweep_server) == before


def job_ids(server: GazeServer) -> set[str]:
    return {job["id"] for job in server.get("/api/v1/jobs?limit=200").json()["jobs"]}


def image_bytes(server: GazeServer, cell: dict[str, Any]) -> bytes:
    response = httpx.get(f"{server.url}{cell['image_url']}", timeout=30)
    assert response.status_code == 200
    return response.content


def test_a_recipe_grid_runs(sweep_server: GazeServer) -> None:
    response = sweep_server.post(
        "/api/v1/grids",
        json={
            "recipe": {"slots": {"styles": "watercolor"}, "checkpoint": checkpoint(sweep_server)},
            "seed": 9,
            **TINY,
            "x": {"axis": "cfg", "values": [4, 6]},
        },
    )
    assert response.status_code == 202, response.text
    grid = wait_for_grid(sweep_server, response.json()["grid_id"])
    assert grid["progress"]["done"] == 2
    assert grid["sweep"] is None
    job = sweep_server.get(f"/api/v1/job/{grid['cells'][0]['job_id']}").json()
    assert job["label"] == "Grid: Composed: Watercolor – CFG: 4"


def test_a_recipe_grid_with_an_unknown_id_is_refused(sweep_server: GazeServer) -> None:
    response = sweep_server.post(
        "/api/v1/grids",
        json={"recipe": {"slots": {"styles": "nope"}}, "x": {"axis": "seed", "values": [1]}},
    )
    assert response.status_code == 400, response.text
    assert "nope" in response.text


def checkpoint(server: GazeServer) -> str:
    listed = server.get("/api/v1/checkpoints").json()
    items = listed["checkpoints"] if isinstance(listed, dict) else listed
    return str(items[0]["path"])
