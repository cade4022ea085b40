"""The API guide's bash and Python examples, run as written against a live server.

Only the placeholders a reader fills in are replaced: the key (`your-key-here`) and the
host (`http://localhost:5782`, the test server's port instead).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.server import REPO, GazeServer

SHARED_GUIDE = REPO.parent / "shared" / "spec" / "API_GUIDE.md"
GUIDE = SHARED_GUIDE if SHARED_GUIDE.exists() else REPO / "docs" / "API_GUIDE.md"
GUIDE_HOST = "http://localhost:5782"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), flags=re.S)


def _fill(code: str, server: GazeServer) -> str:
    assert "your-key-here" in code or "$API_KEY" in code
    return code.replace("your-key-here", server.api_key).replace(GUIDE_HOST, server.url)


def test_the_repo_copy_of_the_guide_matches_the_contract() -> None:
    if SHARED_GUIDE.exists():
        assert (REPO / "docs" / "API_GUIDE.md").read_text() == SHARED_GUIDE.read_text()


def test_guide_has_the_examples_we_run() -> None:
    assert len(_blocks("bash")) == 3
    assert len(_blocks("python")) == 1


def test_bash_examples_run_as_written(server: GazeServer) -> None:
    wait_for_one, three_with_extras, reproduce = (_fill(b, server) for b in _blocks("bash"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    first = subprocess.run(
        ["bash", "-euc", wait_for_one], capture_output=True, text=True, timeout=300, env=env
    )
    assert first.returncode == 0, first.stderr
    assert "Job: " in first.stdout
    assert "Status: done" in first.stdout, first.stdout
    assert '"image_url": "/static/uploads/presets/example_01/gen_' in first.stdout
    preamble = "\n".join(wait_for_one.splitlines()[:2])
    for example, expected_jobs in ((three_with_extras, 3), (reproduce, 1)):
        result = subprocess.run(
            ["bash", "-euc", f"{preamble}\n{example}"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.count('"status":"queued"') == expected_jobs, result.stdout


@pytest.mark.timeout(300)
def test_python_example_runs_as_written(server: GazeServer) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _fill(_blocks("python")[0], server)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Available presets: [" in result.stdout
    assert "Status: done" in result.stdout
    assert re.search(
        r"Image: http://127\.0\.0\.1:\d+/static/uploads/presets/\w+/gen_\d+", result.stdout
    )
    assert re.search(r"Seed: \d+", result.stdout)
