"""`gaze generate <preset> --slot ...` and `gaze generate --recipe FILE` against a live server."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from PIL import Image

from devkit.server import GAZE, GazeServer
from gaze.media.png_metadata import read_gaze_metadata

SMALL = ["--width", "64", "--height", "64"]
DEMO_CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


def gaze(
    server: GazeServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GAZE_")}
    env.update(GAZE_URL=server.url, GAZE_API_KEY=server.api_key, COLUMNS="200")
    return subprocess.run(
        [GAZE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def job(server: GazeServer, job_id: str) -> dict:
    answer = httpx.get(
        f"{server.url}/api/v1/job/{job_id}", headers={"X-API-Key": server.api_key}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def finished(server: GazeServer, result: subprocess.CompletedProcess[str]) -> tuple[dict, dict]:
    """The done job, and the `gaze` chunk of its PNG (spec, resolution, ...)."""
    assert result.returncode == 0, result.stderr
    job_id = result.stdout.split()[2]
    waited = gaze(server, "jobs", "watch", job_id)
    assert waited.returncode == 0, waited.stderr
    done = job(server, job_id)
    assert done["status"] == "done", done
    image = httpx.get(f"{server.url}{done['result']['image_url']}", timeout=30)
    assert image.status_code == 200
    with Image.open(io.BytesIO(image.content)) as png:
        return done, read_gaze_metadata(png)


def test_slots_replace_the_presets_own(server: GazeServer) -> None:
    queued = gaze(
        server,
        "generate",
        "example_01",
        "--seed",
        "5",
        *SMALL,
        "--slot",
        "characters=kenji_arata",
        "--slot",
        "outfits=none",
        "--slot",
        "scenes=random:night_market,forest_clearing",
    )
    _, metadata = finished(server, queued)
    resolution = metadata["resolution"]
    assert [pick["id"] for pick in resolution["characters"]] == ["kenji_arata"]
    assert resolution["outfits"] == []
    assert resolution["scenes"][0]["id"] in {"night_market", "forest_clearing"}
    assert resolution["scenes"][0]["mode"] == "random"
    assert resolution["request"]["slots"] == {
        "characters": {"mode": "fixed", "id": "kenji_arata"},
        "outfits": {"mode": "none"},
        "scenes": {
            "mode": "random",
            "pool": {"kind": "list", "ids": ["night_market", "forest_clearing"]},
        },
    }


def test_a_recipe_file_and_stdin_compose_without_a_preset(
    server: GazeServer, tmp_path: Path
) -> None:
    recipe = {"characters": "aria_vale", "scenes": "night_market", "checkpoint": DEMO_CHECKPOINT}
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe))
    from_file = gaze(server, "generate", "--recipe", str(path), "--seed", "9", *SMALL)
    from_stdin = gaze(
        server, "generate", "--recipe", "-", "--seed", "9", *SMALL, stdin=json.dumps(recipe)
    )
    (one, first), (two, second) = finished(server, from_file), finished(server, from_stdin)
    assert one["label"] == two["label"] == "Composed: Aria Vale, Night Market"
    assert first["spec"] == second["spec"]
    assert [pick["id"] for pick in first["resolution"]["scenes"]] == ["night_market"]
    # The PNG alone asks for the same image again: its recipe and seed, composed anew.
    again = path.with_name("again.json")
    again.write_text(json.dumps(first["resolution"]["request"]["recipe"]))
    seed = str(first["spec"]["seed"])
    _, third = finished(
        server, gaze(server, "generate", "--recipe", str(again), "--seed", seed, *SMALL)
    )
    assert third["spec"] == first["spec"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give a preset slug or --recipe"),
        (("example_01", "--recipe", "-"), "Give a preset slug or --recipe"),
        (("example_01", "--slot", "characters"), "write category=id"),
        (("--recipe", "/nonexistent/recipe.json"), "--recipe /nonexistent/recipe.json"),
    ],
)
def test_usage_mistakes_exit_2_naming_them(
    server: GazeServer, args: tuple[str, ...], message: str
) -> None:
    result = gaze(server, "generate", *args, stdin="")
    assert result.returncode == 2
    assert message in result.stderr


def test_server_refusals_show_the_api_code(server: GazeServer) -> None:
    unknown = gaze(server, "generate", "example_01", "--slot", "characters=nobody_at_all")
    assert unknown.returncode == 1
    assert "400 unknown_slot_ids" in unknown.stderr and "nobody_at_all" in unknown.stderr
