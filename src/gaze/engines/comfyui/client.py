"""Async client for one ComfyUI server: its HTTP routes through httpx, and its ``/ws`` socket.

Every HTTP call has connect and read timeouts; a server that cannot be reached, times out,
answers 5xx or does not speak ComfyUI's JSON raises BackendUnavailable. Running one prompt
to its image over these calls is `gaze.engines.comfyui.prompt_run`.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidURI

from gaze.engines.base import BackendUnavailable, EngineError
from gaze.engines.comfyui.backend_errors import rejection_error
from gaze.engines.comfyui.prompt_tracking import OutputImage

LOADER_INPUTS: dict[str, tuple[str, str]] = {
    "checkpoints": ("CheckpointLoaderSimple", "ckpt_name"),
    "loras": ("LoraLoader", "lora_name"),
    "vae": ("VAELoader", "vae_name"),
    "upscale_models": ("UpscaleModelLoader", "model_name"),
}

MAX_FRAME_BYTES = 64 * 2**20


@functools.cache
def _shared_ssl_context() -> ssl.SSLContext:
    """Built once: creating one per client costs ~20 ms, a tax on every job."""
    return httpx.create_ssl_context(trust_env=False)


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``no_progress``: the longest a prompt may go without any sign of life."""

    connect: float = 3.0
    request: float = 15.0
    no_progress: float = 120.0


class ComfyUIClient:
    """One ComfyUI server. Use as ``async with ComfyUIClient(url) as client: ...``."""

    def __init__(self, base_url: str, *, timeouts: Timeouts | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> ComfyUIClient:
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeouts.request, connect=self.timeouts.connect),
            trust_env=False,
            verify=_shared_ssl_context(),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- HTTP ----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        timeout: float | None = None,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        if self._http is None:
            raise RuntimeError("use ComfyUIClient inside 'async with'")
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=min(timeout, self.timeouts.connect))
        if files is not None:
            extra["files"] = files
            extra["data"] = form or {}
        try:
            response = await self._http.request(
                method, path, json=json_body, params=params, **extra
            )
        except httpx.TimeoutException as error:
            raise BackendUnavailable(
                f"ComfyUI at {self.base_url} did not answer {method} {path} in time "
                f"({type(error).__name__})"
            ) from error
        except httpx.HTTPError as error:
            raise BackendUnavailable(
                f"cannot reach ComfyUI at {self.base_url}: {type(error).__name__}: {error}"
            ) from error
        if response.status_code >= 500:
            raise BackendUnavailable(
                f"ComfyUI at {self.base_url} failed {method} {path} "
                f"with HTTP {response.status_code}"
            )
        return response

    def _parse_json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise BackendUnavailable(
                f"ComfyUI at {self.base_url} answered {what} with something that is not JSON "
                f"(is this a ComfyUI server?)"
            ) from error

    async def _get_json(self, path: str, *, params: dict[str, str] | None = None) -> Any:
        response = await self._request("GET", path, params=params)
        if response.status_code != 200:
            raise EngineError(
                f"ComfyUI at {self.base_url} answered GET {path} with HTTP {response.status_code}"
            )
        return self._parse_json(response, f"GET {path}")

    async def system_stats(self) -> dict[str, Any]:
        stats = await self._get_json("/system_stats")
        if not isinstance(stats, dict) or "system" not in stats:
            raise BackendUnavailable(
                f"ComfyUI at {self.base_url} answered /system_stats without system information"
            )
        return stats

    async def queue_remaining(self) -> int:
        info = await self._get_json("/prompt")
        try:
            return int(info["exec_info"]["queue_remaining"])
        except (KeyError, TypeError, ValueError) as error:
            raise BackendUnavailable(
                f"ComfyUI at {self.base_url} answered GET /prompt without exec_info"
            ) from error

    async def queue_state(self) -> tuple[list[str], list[str]]:
        """Ids of the running and the pending prompts."""
        queue = await self._get_json("/queue")

        def ids(items: Any) -> list[str]:
            return [
                str(item[1]) for item in items or [] if isinstance(item, list) and len(item) > 1
            ]

        if not isinstance(queue, dict):
            raise BackendUnavailable(f"ComfyUI at {self.base_url} answered GET /queue oddly")
        return ids(queue.get("queue_running")), ids(queue.get("queue_pending"))

    async def model_files(self, folder: str) -> list[str]:
        """Files of a model folder as ComfyUI names them (``GET /models/{folder}``, or the
        loader node's choices in ``/object_info`` on servers without that route)."""
        response = await self._request("GET", f"/models/{folder}")
        if response.status_code == 200:
            files = self._parse_json(response, f"GET /models/{folder}")
            if isinstance(files, list):
                return [str(name) for name in files]
        if folder not in LOADER_INPUTS:
            raise EngineError(f"ComfyUI at {self.base_url} cannot list models of '{folder}'")
        return await self.node_choices(*LOADER_INPUTS[folder])

    async def node_choices(self, node_class: str, input_name: str) -> list[str]:
        """The choices of a node's combo input in ``/object_info`` (e.g. KSampler's samplers)."""
        info = await self._get_json(f"/object_info/{node_class}")
        try:
            spec = info[node_class]["input"]["required"][input_name]
        except (KeyError, TypeError) as error:
            raise EngineError(
                f"ComfyUI at {self.base_url} has no {node_class} node with {input_name!r}"
            ) from error
        choices = spec[0]
        if choices == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
            choices = spec[1].get("options", [])
        if not isinstance(choices, list):
            raise EngineError(
                f"ComfyUI at {self.base_url} lists {node_class}.{input_name} in an unknown shape"
            )
        return [str(name) for name in choices]

    async def upload_image(self, data: bytes, name: str) -> str:
        """Store ``data`` in the server's input folder as ``name`` (``POST /upload/image``,
        replacing a file of that name) and return the name ``LoadImage`` reads it by."""
        response = await self._request(
            "POST",
            "/upload/image",
            form={"type": "input", "overwrite": "true"},
            files={"image": (name, data, "image/png")},
        )
        if response.status_code != 200:
            raise EngineError(
                f"ComfyUI at {self.base_url} refused to store the image {name} "
                f"(POST /upload/image answered HTTP {response.status_code})"
            )
        stored = self._parse_json(response, "POST /upload/image")
        if not isinstance(stored, dict) or not isinstance(stored.get("name"), str):
            raise BackendUnavailable(
                f"ComfyUI at {self.base_url} answered POST /upload/image oddly: {stored!r:.200}"
            )
        subfolder = stored.get("subfolder") or ""
        return f"{subfolder}/{stored['name']}" if subfolder else stored["name"]

    async def submit(self, graph: dict[str, Any], prompt_id: str, client_id: str) -> None:
        response = await self._request(
            "POST",
            "/prompt",
            json_body={"prompt": graph, "client_id": client_id, "prompt_id": prompt_id},
        )
        if response.status_code == 400:
            raise rejection_error(self._parse_json(response, "POST /prompt"))
        if response.status_code != 200:
            raise EngineError(
                f"ComfyUI at {self.base_url} answered POST /prompt with HTTP {response.status_code}"
            )
        body = self._parse_json(response, "POST /prompt")
        if not isinstance(body, dict) or body.get("prompt_id") != prompt_id:
            raise BackendUnavailable(
                f"ComfyUI at {self.base_url} did not queue prompt {prompt_id}: {body!r:.200}"
            )

    async def interrupt(self, prompt_id: str, *, timeout: float | None = None) -> None:
        """Stop ``prompt_id`` if it is the running prompt; a no-op otherwise."""
        await self._request(
            "POST", "/interrupt", json_body={"prompt_id": prompt_id}, timeout=timeout
        )

    async def delete_pending(self, prompt_ids: list[str], *, timeout: float | None = None) -> None:
        """Remove prompts that have not started yet from the queue."""
        await self._request("POST", "/queue", json_body={"delete": prompt_ids}, timeout=timeout)

    async def history_entry(self, prompt_id: str) -> dict[str, Any] | None:
        history = await self._get_json(f"/history/{prompt_id}")
        if not isinstance(history, dict):
            raise BackendUnavailable(f"ComfyUI at {self.base_url} answered /history oddly")
        entry = history.get(prompt_id)
        return entry if isinstance(entry, dict) else None

    async def last_prompt_graph(self) -> dict[str, Any] | None:
        """The graph of the prompt the server finished last (``GET /history?max_items=1``),
        or None when its history is empty. History entries keep the queue item
        ``[number, prompt_id, graph, extra_data, outputs, ...]`` under ``prompt``."""
        history = await self._get_json("/history", params={"max_items": "1"})
        if not isinstance(history, dict):
            raise BackendUnavailable(f"ComfyUI at {self.base_url} answered /history oddly")
        for entry in list(history.values())[-1:]:
            item = entry.get("prompt") if isinstance(entry, dict) else None
            if isinstance(item, list) and len(item) > 2 and isinstance(item[2], dict):
                return item[2]
        return None

    async def fetch_image(self, image: OutputImage) -> bytes:
        response = await self._request("GET", "/view", params=image.query())
        if response.status_code != 200:
            raise EngineError(
                f"ComfyUI at {self.base_url} has no image {image.subfolder}/{image.filename} "
                f"({image.type}): HTTP {response.status_code}"
            )
        return response.content

    # -- websocket -------------------------------------------------------------------

    def _websocket_url(self, client_id: str) -> str:
        scheme, _, rest = self.base_url.partition("://")
        ws_scheme = "wss" if scheme == "https" else "ws"
        return f"{ws_scheme}://{rest}/ws?clientId={client_id}"

    async def open_websocket(self, client_id: str) -> ClientConnection:
        """``/ws?clientId=<client_id>``: the messages of prompts queued with that id."""
        url = self._websocket_url(client_id)
        secure: dict[str, Any] = {"ssl": _shared_ssl_context()} if url.startswith("wss:") else {}
        try:
            return await connect(
                url,
                open_timeout=self.timeouts.connect,
                proxy=None,
                max_size=MAX_FRAME_BYTES,
                close_timeout=1,
                **secure,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            raise BackendUnavailable(
                f"cannot open the websocket of ComfyUI at {self.base_url}: "
                f"{type(error).__name__}: {error}"
            ) from error
