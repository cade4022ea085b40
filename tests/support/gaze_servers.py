"""Real `gaze serve` processes on private copies of the session's prepared data folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from devkit.server import GazeServer, copy_data, running_server

ServerFactory = Callable[..., GazeServer]
"""A fixture that starts servers for one test and stops them after it (see each fixture's
arguments)."""

GazeFactory = Callable[..., GazeServer]
"""``gaze_with(url_or_local, ...)``: a started `gaze serve` with those backends."""

SHARED_SERVER_ENV = {"GAZE_AUTH_FAILURE_LIMIT": "1000"}
"""For a server many tests share: the wrong keys some send on purpose lock no one out."""

JOBS_ENV = {
    "GAZE_WEBHOOK_ALLOW_PRIVATE": "true",
    "GAZE_WEBHOOK_RETRY_SECONDS": "0.2",
    "GAZE_WEBHOOK_TIMEOUT_SECONDS": "3",
    "GAZE_EVENTS_HEARTBEAT_SECONDS": "1",
}
"""For the jobs, events and webhooks tests: quick webhook retries and heartbeats."""

EDGE_TIMEOUT = 3
"""Seconds the edge server gives request heads and bodies."""

PROXIED_PASSWORD = "proxied admin secret"
"""The admin password of the server behind a proxy."""


class GazeServers:
    """Starts `gaze serve` on a fresh copy of a data folder, with an API key."""

    def __init__(self, prepared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.prepared_data = prepared_data
        self.tmp_path_factory = tmp_path_factory

    @contextmanager
    def running(
        self,
        *extra_args: str,
        name: str = "server",
        env: Mapping[str, str] | None = None,
        source: Path | None = None,
        data_dir: Path | None = None,
        api_key: str | None = None,
        timeout: float = 180,
    ) -> Iterator[GazeServer]:
        """A server on a copy of `source` (the prepared data) in a new folder named for `name`,
        or on `data_dir` as it is; with `api_key`, or a new key. Stopped on exit."""
        if data_dir is None:
            data_dir = copy_data(
                source or self.prepared_data, self.tmp_path_factory.mktemp(name) / "data"
            )
        with running_server(
            data_dir, *extra_args, env=env, api_key=api_key, timeout=timeout
        ) as server:
            yield server
