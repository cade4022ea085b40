"""A real `gaze serve` subprocess on a free port, with its own data folder."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
GAZE = str(Path(sys.executable).with_name("gaze"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gaze_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GAZE_")}
    env.update(GAZE_DATA_DIR=str(data_dir), GAZE_ENGINE_THREADS="1", GAZE_LOG_LEVEL="warning")
    env.update(extra)
    return env


def copy_data(source: Path, target: Path) -> Path:
    """A copy of a data folder, without SQLite's write-ahead files."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return target


def run_gaze(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GAZE, *args],
        env=gaze_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )


def init_data(data_dir: Path, **env: str) -> Path:
    """`data_dir` after `gaze init`: database, demo checkpoint, example library."""
    run_gaze(data_dir, "init", **env)
    return data_dir


@dataclass
class GazeServer:
    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    api_key: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> GazeServer:
        log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [GAZE, "serve", "--port", str(self.port), *self.extra_args],
            env=gaze_env(self.data_dir, **self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gaze serve exited with {self.process.returncode}; see {log.name}"
                )
            try:
                if httpx.get(f"{self.url}/api/v1/presets", timeout=2).status_code in (401, 403):
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gaze serve did not answer within {timeout}s; see {log.name}")

    def regenerate_key(self) -> str:
        self.api_key = run_gaze(self.data_dir, "apikey", "regenerate", **self.env).stdout.strip()
        return self.api_key

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def get(
        self, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        merged = {**self.headers, **(headers or {})}
        return httpx.get(f"{self.url}{path}", headers=merged, timeout=30, **kwargs)

    def post(
        self, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        merged = {**self.headers, **(headers or {})}
        return httpx.post(f"{self.url}{path}", headers=merged, timeout=60, **kwargs)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def memory_mib(self, field: str = "VmRSS") -> float:
        """The server process's memory from /proc: ``VmRSS`` now, ``VmHWM`` its peak."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def generate_and_wait(self, preset: str = "example_01", **body: Any) -> dict[str, Any]:
        """Queues one image of `preset` and waits for it; the finished job."""
        answer = self.post(f"/api/v1/generate/{preset}", json=body).json()
        return self.wait_for_job(answer["jobs"][0]["job_id"])

    def wait_for_job(self, job_id: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.get(f"/api/v1/job/{job_id}")
            body: dict[str, Any] = response.json()
            if "status" not in body:
                raise AssertionError(f"polling job {job_id}: {response.status_code} {body}")
            if body["status"] in ("done", "failed", "cancelled"):
                return body
            time.sleep(0.1)
        raise TimeoutError(f"job {job_id} did not finish within {timeout}s")


@contextmanager
def running_server(
    data_dir: Path,
    *extra_args: str,
    env: Mapping[str, str] | None = None,
    api_key: str | None = None,
    timeout: float = 180,
) -> Iterator[GazeServer]:
    """`gaze serve` on `data_dir` with an API key (a new one unless `api_key` is given),
    stopped on exit."""
    server = GazeServer(data_dir, env=dict(env or {}), extra_args=extra_args)
    server.start(timeout=timeout)
    try:
        if api_key is None:
            server.regenerate_key()
        else:
            server.api_key = api_key
        yield server
    finally:
        server.stop()
