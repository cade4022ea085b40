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

SHARED_SERVER_ENV = {"GAZE_AUTH_FAILURE_LIMIT": "1000"}
"""For a server many tests share: the wrong keys some send on purpose lock no one out."""


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
