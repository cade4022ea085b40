"""Grids through the API on the embedded engine: 1, 2 and 3 axes run to done, their sheets are
served with the expected size, and bad grids are refused before anything is queued."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from devkit.server import GazeServer
from gaze.grids.sheet import SheetCell, render_sheet
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

TINY = {"width": 64, "height": 64, "seed": 11}


@pytest.fixture(scope="module")
def grid_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    with gaze_servers.running(name="grids", env=SHARED_SERVER_ENV) as running:
        yield running


def create(server: GazeServer, **body: Any) -> dict[str, Any]:
    response = server.post("/api/v1/grids", json={"preset": "example_01", **TINY, **body})
    assert response.status_code == 202, response.text
    return response.json()


def wait_for_grid(server: GazeServer, grid_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = server.get(f"/api/v1/grid/{grid_id}")
        assert response.status_code == 200, response.text
        grid: dict[str, Any] = response.json()
        if grid["status"] == "finished":
            return grid
        assert grid["image_url"] is None and grid["sheets"] == []
        time.sleep(0.2)
    raise TimeoutError(f"grid {grid_id} did not finish within {timeout}s")


def sheet(server: GazeServer, url: str) -> Image.Image:
    response = httpx.get(f"{server.url}{url}", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def expected_size(
    columns: list[tuple[int, int]], rows: int, x: list[str], y: list[str], title: str | None
) -> tuple[int, int]:
    cells = [[SheetCell(Image.new("RGB", size)) for size in columns] for _ in range(rows)]
    return render_sheet(cells, x, y, title)[0].size


def test_one_axis_grid_runs_to_a_sheet(grid_server: GazeServer) -> None:
    created = create(grid_server, x={"axis": "cfg", "values": [3, 7.5]})
    assert len(created["jobs"]) == 2
    assert all(job["status"] == "queued" for job in created["jobs"])
    grid = wait_for_grid(grid_server, created["grid_id"])
    assert grid["progress"] == {"total": 2, "done": 2, "failed": 0, "cancelled": 0, "pending": 0}
    assert [cell["labels"] for cell in grid["cells"]] == [{"x": "CFG: 3"}, {"x": "CFG: 7.5"}]
    assert [cell["job_id"] for cell in grid["cells"]] == [j["job_id"] for j in created["jobs"]]
    batch = grid_server.get(f"/api/v1/batch/{created['batch_id']}").json()
    assert len(batch["jobs"]) == 2
    for cell in grid["cells"]:
        job = grid_server.get(f"/api/v1/job/{cell['job_id']}").json()
        assert cell["image_url"] == job["result"]["image_url"]
        assert job["result"]["seed"] == 11
    [only] = grid["sheets"]
    assert (only["z"], only["image_url"]) == (None, grid["image_url"])
    image = sheet(grid_server, grid["image_url"])
    assert image.size == expected_size([(64, 64)] * 2, 1, ["CFG: 3", "CFG: 7.5"], [], None)
    assert (only["width"], only["height"]) == image.size
    boxes = only["cells"]
    assert (boxes["width"], boxes["height"]) == (64, 64)
    assert boxes["left"] == 0 and boxes["top"] > 0
    assert image.size == (boxes["left"] + 2 * 64, boxes["top"] + 64)
    assert "POST /api/v1/grids" in image.info["parameters"]
    described = json.loads(image.info["gaze"])
    assert described["grid"]["x"] == {"axis": "cfg", "values": [3.0, 7.5]}
    assert described["grid"]["seed"] == 11
    again = grid_server.get(f"/api/v1/grid/{created['grid_id']}").json()
    assert again["sheets"] == grid["sheets"]


def test_two_axis_grid_of_steps_and_characters(grid_server: GazeServer) -> None:
    created = create(
        grid_server,
        x={"axis": "steps", "values": [1, 2]},
        y={"axis": "slot", "slot": "characters", "values": ["aria_vale", "mira_holt"]},
    )
    grid = wait_for_grid(grid_server, created["grid_id"])
    assert grid["progress"]["done"] == 4
    assert [(c["x"], c["y"]) for c in grid["cells"]] == [(0, 0), (1, 0), (0, 1), (1, 1)]
    last = grid_server.get(f"/api/v1/job/{grid['cells'][3]['job_id']}").json()
    assert last["label"].startswith("Grid: Example Preset – Steps: 2, characters: mira_holt")
    image = sheet(grid_server, grid["image_url"])
    x, y = ["Steps: 1", "Steps: 2"], ["characters: aria_vale", "characters: mira_holt"]
    assert image.size == expected_size([(64, 64)] * 2, 2, x, y, None)


def test_three_axis_grid_makes_one_sheet_per_z(grid_server: GazeServer) -> None:
    created = create(
        grid_server,
        x={"axis": "size", "values": ["64x64", [96, 64]]},
        y={"axis": "prompt_sr", "values": ["looking at viewer", "looking away"]},
        z={"axis": "sampler", "values": ["euler", "euler_ancestral"]},
    )
    assert len(created["jobs"]) == 8
    grid = wait_for_grid(grid_server, created["grid_id"])
    assert grid["progress"]["done"] == 8
    assert [sheet["z"] for sheet in grid["sheets"]] == ["euler", "euler_ancestral"]
    assert grid["image_url"] == grid["sheets"][0]["image_url"]
    for cell in grid["cells"]:
        prompt = sheet(grid_server, cell["image_url"]).info["parameters"].split("\n")[0]
        assert ("looking away" in prompt) == (cell["y"] == 1), prompt
        assert ("looking at viewer" in prompt) == (cell["y"] == 0), prompt
    x = ["Size: 64x64", "Size: 96x64"]
    y = ["looking at viewer", "looking away"]
    for found, title in zip(
        grid["sheets"], ["Sampler: euler", "Sampler: euler_ancestral"], strict=True
    ):
        image = sheet(grid_server, found["image_url"])
        assert image.size == expected_size([(96, 64)] * 2, 2, x, y, title)


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({"x": {"axis": "colour", "values": [1]}}, 400, "unknown_axis", "axis x"),
        ({"x": {"axis": "cfg", "values": []}}, 400, "empty_axis", "axis x"),
        ({"x": {"axis": "sampler", "values": ["euler", "nope"]}}, 400, "unknown_sampler", "nope"),
        (
            {"y": {"axis": "checkpoint", "values": ["missing.safetensors"]}},
            400,
            "unknown_checkpoint",
            "missing.safetensors",
        ),
        (
            {"x": {"axis": "prompt_sr", "values": ["not in it", "b"]}},
            400,
            "prompt_sr_missing",
            "not in it",
        ),
        (
            {"x": {"axis": "slot", "slot": "characters", "values": ["aria_vale", "nobody"]}},
            400,
            "preset_unresolvable",
            "nobody",
        ),
        (
            {
                "x": {"axis": "seed", "values": list(range(11))},
                "y": {"axis": "cfg", "values": list(range(10))},
            },
            400,
            "too_many_cells",
            "110 cells",
        ),
        ({"count": 2, "x": {"axis": "seed", "values": [1]}}, 400, "unknown_field", "count"),
        (
            {"preset": "example_99", "x": {"axis": "seed", "values": [1]}},
            404,
            "preset_not_found",
            "example_99",
        ),
    ],
)
def test_bad_grids_are_refused_and_queue_nothing(
    grid_server: GazeServer, body: dict[str, Any], status: int, code: str, words: str
) -> None:
    before = grid_server.get("/api/v1/jobs", params={"limit": 1}).json()
    assert before["jobs"], before
    response = grid_server.post("/api/v1/grids", json={"preset": "example_01", **TINY, **body})
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert words in response.json()["error"]
    after = grid_server.get("/api/v1/jobs", params={"limit": 1}).json()
    assert after == before


def test_unknown_grid_is_404(grid_server: GazeServer) -> None:
    response = grid_server.get("/api/v1/grid/0b8e6a52-6f3e-4f7e-9a53-2c1d8f0e4b7a")
    assert response.status_code == 404
    assert response.json()["code"] == "grid_not_found"
