"""The stand-in's HTTP + websocket app: ComfyUI's routes, the control routes, the assembly.

Routes follow ComfyUI's ``server.py`` (each also under ``/api``). The stand-in's own
control surface lives under ``/_standin/``, outside ComfyUI's namespace:

* ``GET|POST /_standin/behaviour``: how it misbehaves (see StandInBehaviour);
* ``POST /_standin/models``: replace model folders' files, ``{"loras": ["a.safetensors"]}``;
* ``POST /_standin/drop_websockets``: close every websocket now;
* ``GET /_standin/state``: running and pending prompts, what ran, failed or was
  interrupted, checkpoint loads and the loaded checkpoint, websocket drops and refusals,
  and per prompt when it succeeded (``succeeded_at``: time.monotonic(), and
  ``succeeded_at_unix``: time.time(), to compare with other processes' clocks) and when its
  history entry was written (``completed_at``, time.monotonic()), and the files uploaded
  to its input folder (``input_files``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.comfyui_standin.behaviour import StandInBehaviour
from tests.comfyui_standin.node_catalog import MODEL_FOLDERS, build_catalog
from tests.comfyui_standin.node_type import NodeType
from tests.comfyui_standin.prompt_queue import PromptQueue
from tests.comfyui_standin.prompt_runner import PromptRunner
from tests.comfyui_standin.prompt_validation import validate_prompt
from tests.comfyui_standin.uploads import stored_paths, upload_image
from tests.comfyui_standin.websocket_hub import WebSocketHub

CONTROL_PREFIX = "/_standin"
STANDIN_VERSION = "0.3.40-standin"


class StandInApp:
    """One server lifetime's state: a restart starts empty, as ComfyUI does."""

    def __init__(self, models: dict[str, list[str]], behaviour: StandInBehaviour) -> None:
        self.models = models
        self.behaviour = behaviour
        self.queue = PromptQueue()
        self.hub = WebSocketHub(behaviour)
        self.stored_files: dict[tuple[str, str, str], bytes] = {}
        self.runner = PromptRunner(self.queue, self.hub, behaviour, self.stored_files)
        self.number = 0
        self.released = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- ComfyUI routes ---------------------------------------------------------------

    async def post_prompt(self, request: Request) -> Response:
        body = await request.json()
        if "number" in body:
            number: float = float(body["number"])
        else:
            number = self.number
            if body.get("front"):
                number = -number
            self.number += 1
        if "prompt" not in body:
            return JSONResponse(
                {
                    "error": {
                        "type": "no_prompt",
                        "message": "No prompt provided",
                        "details": "No prompt provided",
                        "extra_info": {},
                    },
                    "node_errors": {},
                },
                status_code=400,
            )
        prompt = body["prompt"]
        prompt_id = str(body.get("prompt_id", uuid.uuid4()))
        extra_data = dict(body.get("extra_data", {}))
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        result = validate_prompt(prompt, self._catalog())
        if not result.ok:
            return JSONResponse(
                {"error": result.error, "node_errors": result.node_errors}, status_code=400
            )
        self.queue.put((number, prompt_id, prompt, extra_data, result.outputs))
        stats = self.runner.stats
        stats.max_queue_depth = max(stats.max_queue_depth, self.queue.tasks_remaining())
        await self.runner.queue_updated()
        return JSONResponse(
            {"prompt_id": prompt_id, "number": number, "node_errors": result.node_errors}
        )

    async def get_prompt(self, request: Request) -> Response:
        return JSONResponse(self._queue_info())

    async def get_queue(self, request: Request) -> Response:
        return JSONResponse(
            {
                "queue_running": [list(item) for item in self.queue.running()],
                "queue_pending": [list(item) for item in self.queue.pending()],
            }
        )

    async def post_queue(self, request: Request) -> Response:
        body = await request.json()
        if body.get("clear"):
            self.queue.wipe_pending()
            await self.runner.queue_updated()
        for prompt_id in body.get("delete", []):
            if self.queue.delete_pending(prompt_id):
                self.runner.stats.deleted_prompts.append(prompt_id)
                await self.runner.queue_updated()
        return Response(status_code=200)

    async def post_interrupt(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            body = {}
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        self.runner.interrupt(prompt_id or None)
        return Response(status_code=200)

    async def get_history(self, request: Request) -> Response:
        max_items = request.query_params.get("max_items")
        return JSONResponse(
            self.queue.get_history(max_items=int(max_items) if max_items is not None else None)
        )

    async def get_history_item(self, request: Request) -> Response:
        return JSONResponse(self.queue.get_history(prompt_id=request.path_params["prompt_id"]))

    async def post_history(self, request: Request) -> Response:
        body = await request.json()
        if body.get("clear"):
            self.queue.wipe_history()
        for prompt_id in body.get("delete", []):
            self.queue.delete_history(prompt_id)
        return Response(status_code=200)

    async def get_view(self, request: Request) -> Response:
        query = request.query_params
        if "filename" not in query:
            return Response(status_code=404)
        filename = query["filename"]
        if not filename or filename[0] == "/" or ".." in filename:
            return Response(status_code=400)
        folder_type = query.get("type", "output")
        if folder_type not in ("output", "input", "temp"):
            return Response(status_code=400)
        subfolder = query.get("subfolder", "")
        if ".." in subfolder or subfolder.startswith("/"):
            return Response(status_code=403)
        data = self.stored_files.get((folder_type, subfolder, os.path.basename(filename)))
        if data is None:
            return Response(status_code=404)
        return Response(
            data,
            media_type="image/png",
            headers={"Content-Disposition": f'filename="{os.path.basename(filename)}"'},
        )

    async def post_upload_image(self, request: Request) -> Response:
        if self.behaviour.upload_status is not None:
            return Response(status_code=self.behaviour.upload_status)
        return await upload_image(request, self.stored_files)

    async def get_object_info(self, request: Request) -> Response:
        catalog = self._catalog()
        return JSONResponse({name: node.object_info() for name, node in catalog.items()})

    async def get_object_info_node(self, request: Request) -> Response:
        catalog = self._catalog()
        node_class = request.path_params["node_class"]
        node = catalog.get(node_class)
        return JSONResponse({node_class: node.object_info()} if node is not None else {})

    async def get_model_folders(self, request: Request) -> Response:
        return JSONResponse(list(self.models))

    async def get_models(self, request: Request) -> Response:
        folder = request.path_params["folder"]
        if folder not in self.models:
            return Response(status_code=404)
        return JSONResponse(list(self.models[folder]))

    async def get_embeddings(self, request: Request) -> Response:
        return JSONResponse([os.path.splitext(name)[0] for name in self.models["embeddings"]])

    async def get_system_stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                "system": {
                    "os": os.name,
                    "ram_total": 24 * 2**30,
                    "ram_free": 16 * 2**30,
                    "comfyui_version": STANDIN_VERSION,
                    "python_version": sys.version,
                    "pytorch_version": "none (stand-in)",
                    "embedded_python": False,
                    "argv": ["main.py"],
                },
                "devices": [
                    {
                        "name": f"cpu ({platform.machine()} stand-in)",
                        "type": "cpu",
                        "index": None,
                        "vram_total": 0,
                        "vram_free": 0,
                        "torch_vram_total": 0,
                        "torch_vram_free": 0,
                    }
                ],
            }
        )

    async def websocket(self, socket_: WebSocket) -> None:
        if self.behaviour.hang:
            await self.released.wait()
            await socket_.close()
            return
        if self.hub.refusing():
            await socket_.close(code=1013)
            return
        await socket_.accept()
        sid = socket_.query_params.get("clientId", "") or uuid.uuid4().hex
        self.hub.register(sid, socket_)
        try:
            await self.hub.send_json("status", {"status": self._queue_info(), "sid": sid}, sid)
            if self.runner.client_id == sid and self.runner.last_node_id is not None:
                await self.hub.send_json("executing", {"node": self.runner.last_node_id}, sid)
            while True:
                message = await socket_.receive()
                if message["type"] == "websocket.disconnect":
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.hub.unregister(sid, socket_)

    def _catalog(self) -> dict[str, NodeType]:
        return build_catalog(self.models, stored_paths(self.stored_files))

    def _queue_info(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": self.queue.tasks_remaining()}}

    # -- stand-in control -----------------------------------------------------------------

    async def get_behaviour(self, request: Request) -> Response:
        return JSONResponse(self.behaviour.to_dict())

    async def post_behaviour(self, request: Request) -> Response:
        try:
            self.behaviour.update(await request.json())
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(self.behaviour.to_dict())

    async def post_drop_websockets(self, request: Request) -> Response:
        await self.hub.drop(None)
        return Response(status_code=200)

    async def get_state(self, request: Request) -> Response:
        stats = self.runner.stats
        return JSONResponse(
            {
                "running": self.queue.running_ids(),
                "pending": [item[1] for item in self.queue.pending()],
                "executed_prompts": stats.executed_prompts,
                "interrupted_prompts": stats.interrupted_prompts,
                "failed_prompts": stats.failed_prompts,
                "deleted_prompts": stats.deleted_prompts,
                "checkpoint_loads": stats.checkpoint_loads,
                "loaded_checkpoint": self.runner.loaded_checkpoint,
                "max_queue_depth": stats.max_queue_depth,
                "connected_clients": self.hub.connected_clients(),
                "websocket_drops": self.hub.drops,
                "refused_websockets": self.hub.refusals,
                "completed_at": stats.completed_at,
                "succeeded_at": stats.succeeded_at,
                "succeeded_at_unix": stats.succeeded_at_unix,
                "input_files": sorted(stored_paths(self.stored_files)["input"]),
            }
        )

    async def post_models(self, request: Request) -> Response:
        """Replace the files of the given model folders, as if someone edited them on disk."""
        body = await request.json()
        if not isinstance(body, dict) or not all(
            folder in MODEL_FOLDERS
            and isinstance(names, list)
            and all(isinstance(name, str) for name in names)
            for folder, names in body.items()
        ):
            return JSONResponse(
                {"error": f"expected {{folder: [file, ...]}} with folders from {MODEL_FOLDERS}"},
                status_code=400,
            )
        for folder, names in body.items():
            self.models[folder] = list(names)
        return JSONResponse(self.models)

    # -- assembly -------------------------------------------------------------------------

    def routes(self) -> list[Route | WebSocketRoute]:
        comfy: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
            ("/prompt", self.post_prompt, ["POST"]),
            ("/prompt", self.get_prompt, ["GET"]),
            ("/queue", self.get_queue, ["GET"]),
            ("/queue", self.post_queue, ["POST"]),
            ("/interrupt", self.post_interrupt, ["POST"]),
            ("/history", self.get_history, ["GET"]),
            ("/history", self.post_history, ["POST"]),
            ("/history/{prompt_id}", self.get_history_item, ["GET"]),
            ("/view", self.get_view, ["GET"]),
            ("/upload/image", self.post_upload_image, ["POST"]),
            ("/object_info", self.get_object_info, ["GET"]),
            ("/object_info/{node_class}", self.get_object_info_node, ["GET"]),
            ("/models", self.get_model_folders, ["GET"]),
            ("/models/{folder}", self.get_models, ["GET"]),
            ("/embeddings", self.get_embeddings, ["GET"]),
            ("/system_stats", self.get_system_stats, ["GET"]),
        ]
        routes: list[Route | WebSocketRoute] = []
        for prefix in ("", "/api"):
            routes += [Route(prefix + path, handler, methods=m) for path, handler, m in comfy]
            routes.append(WebSocketRoute(prefix + "/ws", self.websocket))
        routes += [
            Route(f"{CONTROL_PREFIX}/behaviour", self.get_behaviour, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/behaviour", self.post_behaviour, methods=["POST"]),
            Route(f"{CONTROL_PREFIX}/drop_websockets", self.post_drop_websockets, methods=["POST"]),
            Route(f"{CONTROL_PREFIX}/state", self.get_state, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/models", self.post_models, methods=["POST"]),
        ]
        return routes

    def build(self) -> Starlette:
        app_state = self

        class Misbehaviour(BaseHTTPMiddleware):
            async def dispatch(
                self, request: Request, call_next: RequestResponseEndpoint
            ) -> Response:
                if request.url.path.startswith(CONTROL_PREFIX):
                    return await call_next(request)
                if app_state.behaviour.hang:
                    await app_state.released.wait()
                    return Response(status_code=503)
                if app_state.behaviour.garbage_http:
                    return Response("<html><body>502 Bad Gateway</body>", media_type="text/html")
                return await call_next(request)

        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            self.loop = asyncio.get_running_loop()
            worker = asyncio.create_task(self.runner.run_forever())
            try:
                yield
            finally:
                self.released.set()
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                await self.hub.close_all()

        return Starlette(
            routes=self.routes(), middleware=[Middleware(Misbehaviour)], lifespan=lifespan
        )
