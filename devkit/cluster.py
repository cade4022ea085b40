"""A scale-out GAZE on this machine: PostgreSQL, Redis, API and worker processes, in front of
ComfyUI backends the caller starts. Used by the scale-out tests and the scale-out benchmark."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from devkit.server import GAZE, GazeServer, gaze_env, run_gaze
from devkit.services import scratch_postgres_database, scratch_redis_url


class Backend(Protocol):
    @property
    def url(self) -> str: ...


BackendT = TypeVar("BackendT", bound=Backend)


@dataclass
class Cluster(Generic[BackendT]):
    root: Path
    env: dict[str, str]
    standins: list[BackendT]
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
def open_cluster(root: Path, standins: Sequence[BackendT]) -> Iterator[Cluster[BackendT]]:
    """Scratch PostgreSQL and Redis databases, the data prepared, `standins` as the backends;
    the caller starts APIs and workers, which are stopped on exit."""
    with scratch_postgres_database() as database_url, scratch_redis_url() as queue_url:
        env = {
            "GAZE_DATABASE_URL": database_url,
            "GAZE_QUEUE_URL": queue_url,
            "GAZE_MEDIA_DIR": str(root / "media"),
            "GAZE_BACKENDS": ",".join(standin.url for standin in standins),
        }
        run_gaze(root / "init", "init", **env)
        key = run_gaze(root / "init", "apikey", "regenerate", **env).stdout.strip()
        cluster = Cluster(root, env, list(standins), api_key=key)
        try:
            yield cluster
        finally:
            cluster.stop()
