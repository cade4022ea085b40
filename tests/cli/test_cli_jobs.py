"""`gaze generate` and `gaze jobs` end to end against a live server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from PIL import Image

from devkit.server import GAZE, GazeServer, free_port

SMALL = ["--width", "64", "--height", "64"]


def gaze(
    server: GazeServer, *args: str, key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GAZE_")}
    env.update(GAZE_URL=server.url, GAZE_API_KEY=server.api_key if key is None else key)
    env["COLUMNS"] = "200"
    return subprocess.run(
        [GAZE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_generate_waits_and_saves_the_images(server: GazeServer, tmp_path: Path) -> None:
    out = tmp_path / "images"
    result = gaze(
        server, "generate", "example_01", "--count", "2", "--seed", "7", *SMALL, "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert len(paths) == 2
    for path, seed in zip(paths, (7, 8), strict=True):
        assert path.parent == out and path.name.startswith("gen_") and path.suffix == ".png"
        image = Image.open(path)
        assert image.size == (64, 64)
        assert f"Seed: {seed}," in image.info["parameters"]


def test_generate_without_waiting_prints_the_jobs_and_jobs_commands_follow_them(
    server: GazeServer,
) -> None:
    queued = gaze(server, "generate", "example_01", "--seed", "9", *SMALL)
    assert queued.returncode == 0, queued.stderr
    first_line, job_id = queued.stdout.split()[0:2], queued.stdout.split()[2]
    assert first_line[0] == "batch"
    batch_id = first_line[1]

    watched = gaze(server, "jobs", "watch", job_id)
    assert watched.returncode == 0, watched.stderr
    assert watched.stdout.strip().startswith(f"{server.url}/static/uploads/presets/example_01/")

    shown = gaze(server, "jobs", "show", job_id)
    assert shown.returncode == 0
    body = json.loads(shown.stdout)
    assert body["id"] == job_id and body["status"] == "done" and body["result"]["seed"] == 9

    listed = gaze(server, "jobs", "list", "--batch", batch_id, "--json")
    assert [job["id"] for job in json.loads(listed.stdout)["jobs"]] == [job_id]
    table = (
        gaze(server, "jobs", "--status", "done", "--limit", "5")
        if False
        else gaze(server, "jobs", "list", "--status", "done", "--limit", "5")
    )
    assert table.returncode == 0 and "done" in table.stdout

    retried = gaze(server, "jobs", "retry", job_id, "--wait")
    assert retried.returncode == 0, retried.stderr
    new_id, image_url = retried.stdout.split()
    assert new_id != job_id and image_url.startswith(server.url)
    assert json.loads(gaze(server, "jobs", "show", new_id).stdout)["retry_of"] == job_id
    assert new_id in gaze(server, "jobs").stdout, "`gaze jobs` alone lists the newest"


def test_jobs_cancel(server: GazeServer) -> None:
    queued = gaze(server, "generate", "example_01", "--count", "2", "--seed", "10")
    job_ids = queued.stdout.split()[2:]
    result = gaze(server, "jobs", "cancel", *job_ids)
    assert result.returncode == 0, result.stderr
    first, second = (line.split() for line in result.stdout.splitlines())
    assert first[0] == job_ids[0] and first[1] in ("cancelled", "processing")
    assert second == [job_ids[1], "cancelled"]


def test_errors_are_messages_and_exit_codes(server: GazeServer) -> None:
    no_key = gaze(server, "generate", "example_01", key="")
    assert no_key.returncode == 2 and "GAZE_API_KEY" in no_key.stderr
    wrong = gaze(server, "jobs", "list", key="gz_wrong")
    assert wrong.returncode == 1 and "invalid_api_key" in wrong.stderr
    missing = gaze(server, "generate", "no_such_preset")
    assert missing.returncode == 1 and "preset_not_found" in missing.stderr
    unknown = gaze(server, "jobs", "show", "no-such-job")
    assert unknown.returncode == 1 and "job_not_found" in unknown.stderr
    nobody = subprocess.run(
        [GAZE, "jobs", "list", "--url", f"http://127.0.0.1:{free_port()}", "--api-key", "gz_x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert nobody.returncode == 1 and "cannot reach" in nobody.stderr
