"""Scale-out fixtures: PostgreSQL and Redis of this machine, ComfyUI stand-ins, GAZE processes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gaze.examples import DEMO_CHECKPOINT
from tests.comfyui_standin import ComfyUIStandIn
from tests.support.server import GAZE, GazeServer, gaze_env, run_gaze
from tests.support.services import scratch_postgres_database, scratch_redis_url


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    standins: list[ComfyUIStandIn]
    apis: list[GazeServer] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api_key: str = ""

    def start_api(self) -> GazeServer:
        index = len(self.apis)
        server = GazeServer(self.root / f"api{index}", env=self.env, extra_args=("--no-worker",))
        server.start()
        server.api_key = self.api_key
        self.apis.append(server)
        return server

    def start_worker(self, backend: str) -> subprocess.Popen[bytes]:
        index = len(self.workers)
        log = open(self.root / f"worker{index}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            [GAZE, "worker", "--backend", backend],
            env=gaze_env(self.root / f"worker{index}", **self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(process)
        return process

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        for api in self.apis:
            api.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """PostgreSQL + Redis + three ComfyUI stand-ins, data prepared; start APIs and workers."""
    with scratch_postgres_database() as database_url, scratch_redis_url() as queue_url:
        standins = [
            ComfyUIStandIn(models={"checkpoints": [DEMO_CHECKPOINT]}, step_delay=0.01).start()
            for _ in range(3)
        ]
        env = {
            "GAZE_DATABASE_URL": database_url,
            "GAZE_QUEUE_URL": queue_url,
            "GAZE_MEDIA_DIR": str(tmp_path / "media"),
            "GAZE_BACKENDS": ",".join(standin.url for standin in standins),
        }
        run_gaze(tmp_path / "init", "init", **env)
        key = run_gaze(tmp_path / "init", "apikey", "regenerate", **env).stdout.strip()
        running = Cluster(tmp_path, env, standins, api_key=key)
        try:
            yield running
        finally:
            running.stop()
            for standin in standins:
                standin.stop()
