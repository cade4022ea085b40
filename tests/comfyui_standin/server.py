"""The thread that serves the stand-in's app (see `app`) on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import uvicorn

from tests.comfyui_standin.app import StandInApp
from tests.comfyui_standin.behaviour import StandInBehaviour
from tests.comfyui_standin.node_catalog import MODEL_FOLDERS
from tests.comfyui_standin.prompt_runner import RunnerStats

T = TypeVar("T")

StandInFactory = Callable[..., "ComfyUIStandIn"]
"""What the tests' ``standin_factory`` fixture is: settings in, a started stand-in out."""


def default_models() -> dict[str, list[str]]:
    return {
        "checkpoints": ["sd15/base.safetensors", "sdxl/illustrious.safetensors"],
        "loras": ["detail.safetensors", "style/ink.safetensors"],
        "vae": ["sdxl_vae.safetensors"],
    }


class ComfyUIStandIn:
    """A ComfyUI stand-in served from a background thread on a free loopback port.

    ``with ComfyUIStandIn(step_delay=0.02) as comfy: ... comfy.url``. ``stop()`` followed by
    ``start()`` restarts on the same port with an empty queue and history, like a restart.
    """

    def __init__(
        self,
        *,
        models: Mapping[str, list[str]] | None = None,
        behaviour: StandInBehaviour | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        **behaviour_settings: Any,
    ) -> None:
        given = dict(models) if models is not None else default_models()
        self.models: dict[str, list[str]] = {folder: [] for folder in MODEL_FOLDERS}
        self.models.update({folder: list(names) for folder, names in given.items()})
        self.behaviour = behaviour or StandInBehaviour()
        self.behaviour.update(behaviour_settings)
        self.host = host
        self.port = port
        self._app: StandInApp | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ComfyUIStandIn:
        if self._thread is not None:
            raise RuntimeError("the stand-in is already running")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        self.port = listener.getsockname()[1]
        self._app = StandInApp(self.models, self.behaviour)
        config = uvicorn.Config(
            self._app.build(),
            log_level="warning",
            access_log=False,
            ws="websockets-sansio",
            loop="asyncio",
            lifespan="on",
            timeout_graceful_shutdown=1,
            ws_ping_interval=None,
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listener]}, daemon=True, name="comfyui-standin"
        )
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the stand-in failed to start")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        app = self._app
        if app is not None and app.loop is not None and not app.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                app.loop.call_soon_threadsafe(app.released.set)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> ComfyUIStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_behaviour(self, **changes: Any) -> None:
        self.behaviour.update(changes)

    def set_models(self, **folders: list[str]) -> None:
        """Replace the files of model folders (``checkpoints=[...]``), live."""
        unknown = set(folders) - set(MODEL_FOLDERS)
        if unknown:
            raise ValueError(f"unknown model folders: {sorted(unknown)}")
        for folder, names in folders.items():
            self.models[folder] = list(names)

    def stats(self) -> RunnerStats:
        """A copy of what the running server did so far."""
        return self._on_loop(self._copy_stats)

    def history(self) -> dict[str, Any]:
        return self._on_loop(self._copy_history)

    def _copy_stats(self) -> RunnerStats:
        assert self._app is not None
        stats = self._app.runner.stats
        return RunnerStats(
            executed_prompts=list(stats.executed_prompts),
            interrupted_prompts=list(stats.interrupted_prompts),
            failed_prompts=list(stats.failed_prompts),
            deleted_prompts=list(stats.deleted_prompts),
            checkpoint_loads=stats.checkpoint_loads,
            max_queue_depth=stats.max_queue_depth,
            completed_at=dict(stats.completed_at),
            succeeded_at=dict(stats.succeeded_at),
            succeeded_at_unix=dict(stats.succeeded_at_unix),
        )

    def _copy_history(self) -> dict[str, Any]:
        assert self._app is not None
        return self._app.queue.get_history()

    def _on_loop(self, function: Callable[[], T]) -> T:
        app = self._app
        if app is None or app.loop is None:
            raise RuntimeError("the stand-in is not running")

        async def call() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(call(), app.loop).result(timeout=10)
