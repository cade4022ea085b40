"""ComfyUI stand-ins as processes of their own (``python -m tests.comfyui_standin``), as real
ComfyUI servers are; the stand-in itself stays with the tests and is never imported here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from devkit.server import REPO

READY_LINE = "listening on"


@dataclass
class StandInProcess:
    process: subprocess.Popen[str]
    url: str

    def state(self) -> dict[str, Any]:
        """The stand-in's ``/_standin/state``: what ran, was interrupted, and when."""
        state: dict[str, Any] = httpx.get(
            f"{self.url}/_standin/state", trust_env=False, timeout=30
        ).json()
        return state

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)


def start_standin(
    step_delay: float = 0.01, models: Mapping[str, Sequence[str]] | None = None
) -> StandInProcess:
    """A stand-in on a free port; `models` lists the files of model folders."""
    folders = [f"{folder}={','.join(names)}" for folder, names in (models or {}).items()]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.comfyui_standin",
            "--port",
            "0",
            "--step-delay",
            str(step_delay),
            *(argument for folder in folders for argument in ("--models", folder)),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if READY_LINE not in line:
        process.kill()
        process.wait(timeout=10)
        raise RuntimeError(f"stand-in did not start: {line!r}")
    return StandInProcess(process, line.rsplit(" ", 1)[1].strip())


@contextmanager
def standin_processes(
    count: int, step_delay: float = 0.01, models: Mapping[str, Sequence[str]] | None = None
) -> Iterator[list[StandInProcess]]:
    """`count` stand-ins, stopped on exit."""
    with ExitStack() as stack:
        standins: list[StandInProcess] = []
        for _ in range(count):
            standin = start_standin(step_delay, models)
            stack.callback(standin.stop)
            standins.append(standin)
        yield standins
