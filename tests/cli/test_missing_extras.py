"""A setting that needs a driver that is not installed ends with the command that installs it,
not a traceback. The driver is hidden from a real `gaze` process as Python does for a module
that failed to import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HIDE_AND_RUN = """
import sys
sys.modules[sys.argv[1]] = None  # `import` of it now raises ImportError, as when not installed
sys.argv = ["gaze", *sys.argv[2:]]
from gaze.cli import main
main()
"""


def run_without(module: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDE_AND_RUN, module, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "setting", "url"),
    [
        ("psycopg", "GAZE_DATABASE_URL", "postgresql+psycopg://gaze@127.0.0.1:5432/gaze"),
        ("redis", "GAZE_QUEUE_URL", "redis://127.0.0.1:6379/0"),
    ],
)
def test_serve_names_the_install_command_for_a_missing_driver(
    tmp_path: Path, module: str, setting: str, url: str
) -> None:
    env = {setting: url, "GAZE_DATA_DIR": str(tmp_path / "data")}
    result = run_without(module, env, "serve", "--no-worker", "--port", "0")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert f"{setting}" in result.stderr and repr(module) in result.stderr
    assert "pip install -e '.[scale]'" in result.stderr


def test_the_hook_hides_only_the_named_driver(tmp_path: Path) -> None:
    """Without the scale settings, hiding psycopg changes nothing: `gaze init` works."""
    result = run_without("psycopg", {"GAZE_DATA_DIR": str(tmp_path / "data")}, "init")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "data" / "gaze.db").exists()
