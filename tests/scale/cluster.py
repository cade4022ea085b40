"""A scale-out GAZE on this machine: PostgreSQL, Redis, ComfyUI stand-ins, API and worker
processes. Used by the scale-out tests and the scale-out benchmark."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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


@contextmanager
def open_cluster(root: Path, backends: int = 3, step_delay: float = 0.01) -> Iterator[Cluster]:
    """Scratch PostgreSQL and Redis databases and `backends` stand-ins, the data prepared;
    the caller starts APIs and workers, which are stopped on exit."""
    with scratch_postgres_database() as database_url, scratch_redis_url() as queue_url:
        standins = [
            ComfyUIStandIn(models={"checkpoints": [DEMO_CHECKPOINT]}, step_delay=step_delay).start()
            for _ in range(backends)
        ]
        env = {
            "GAZE_DATABASE_URL": database_url,
            "GAZE_QUEUE_URL": queue_url,
            "GAZE_MEDIA_DIR": str(root / "media"),
            "GAZE_BACKENDS": ",".join(standin.url for standin in standins),
        }
        try:
            run_gaze(root / "init", "init", **env)
            key = run_gaze(root / "init", "apikey", "regenerate", **env).stdout.strip()
            cluster = Cluster(root, env, standins, api_key=key)
            try:
                yield cluster
            finally:
                cluster.stop()
        finally:
            for standin in standins:
                standin.stop()
