"""Async client for one ComfyUI server: HTTP through httpx, live events through ``/ws``.

Running a prompt (``ComfyUIClient.run``):

1. open ``/ws?clientId=<id>`` first, so no event is missed;
2. ``POST /prompt`` with ``{"prompt", "client_id", "prompt_id"}`` (our own uuid4);
3. read frames: ``progress`` feeds the 0-1 fraction, ``executed`` names the output
   images, ``execution_success`` / ``execution_error`` / ``execution_interrupted`` end
   it, ``executing`` with ``node: null`` means the history entry is written; binary
   frames (previews) are ignored;
4. fetch the image with ``GET /view``.

``GET /history/{prompt_id}`` is the source of truth whenever events may have been lost:
after a websocket reconnect, while the websocket is down, after a quiet spell, and before
giving up. Every HTTP call has connect and read timeouts, and the whole run fails with
BackendUnavailable when nothing happens for ``Timeouts.no_progress`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from gaze.engines.base import BackendUnavailable, EngineError, GenerationCancelled
from gaze.engines.comfyui.backend_errors import (
    describe_execution_error,
    describe_interruption,
    rejection_error,
)
from gaze.engines.comfyui.sampling_progress import SamplingProgress, count_sampler_nodes

log = logging.getLogger(__name__)

ProgressSink = Callable[[float], None]
CancelCheck = Callable[[], bool]

LOADER_INPUTS: dict[str, tuple[str, str]] = {
    "checkpoints": ("CheckpointLoaderSimple", "ckpt_name"),
    "loras": ("LoraLoader", "lora_name"),
    "vae": ("VAELoader", "vae_name"),
}

TICK = 0.1
"""Seconds between checks of the cancel flag and deadlines while waiting for frames."""

QUIET_POLL_INTERVAL = 2.0
"""Poll /history when the websocket has been silent this long (frames may be lost)."""

RECONNECT_FIRST_DELAY = 0.05
RECONNECT_MAX_DELAY = 2.0
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


@dataclass(frozen=True)
class OutputImage:
    filename: str
    subfolder: str
    type: str

    def query(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}


@dataclass(frozen=True)
class PromptResult:
    prompt_id: str
    image: OutputImage
    data: bytes
    images: tuple[OutputImage, ...]
    completed_via: str
    """``websocket`` when the end was seen live, ``history`` when /history told us."""


def _images_of(output: Any) -> list[OutputImage]:
    images: list[OutputImage] = []
    if isinstance(output, dict):
        for item in output.get("images") or []:
            if isinstance(item, dict) and isinstance(item.get("filename"), str):
                images.append(
                    OutputImage(
                        filename=item["filename"],
                        subfolder=str(item.get("subfolder") or ""),
                        type=str(item.get("type") or "output"),
                    )
                )
    return images


def _pick_image(images: Iterable[OutputImage]) -> OutputImage | None:
    ordered = list(images)
    saved = [image for image in ordered if image.type == "output"]
    chosen = saved or ordered
    return chosen[0] if chosen else None


@dataclass
class _PromptRun:
    prompt_id: str
    graph: dict[str, Any]
    on_progress: ProgressSink
    cancel_requested: CancelCheck
    progress: SamplingProgress
    last_activity: float = field(default_factory=time.monotonic)
    images: list[OutputImage] = field(default_factory=list)
    succeeded: bool = False
    backend_done: bool = False
    error: EngineError | None = None
    interrupted: dict[str, Any] | None = None
    cancel_sent: bool = False
    queue_remaining: int | None = None
    next_history_poll: float = 0.0
    completed_via: str = "websocket"

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def finished(self) -> bool:
        """Ended well and the image to fetch is known."""
        return self.succeeded and bool(self.images)


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
    ) -> httpx.Response:
        if self._http is None:
            raise RuntimeError("use ComfyUIClient inside 'async with'")
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=min(timeout, self.timeouts.connect))
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
        node_class, input_name = LOADER_INPUTS[folder]
        info = await self._get_json(f"/object_info/{node_class}")
        try:
            spec = info[node_class]["input"]["required"][input_name]
        except (KeyError, TypeError) as error:
            raise EngineError(
                f"ComfyUI at {self.base_url} has no {node_class} node to list '{folder}'"
            ) from error
        choices = spec[0]
        if choices == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
            choices = spec[1].get("options", [])
        if not isinstance(choices, list):
            raise EngineError(f"ComfyUI at {self.base_url} lists '{folder}' in an unknown shape")
        return [str(name) for name in choices]

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

    async def _open_websocket(self, client_id: str) -> ClientConnection:
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

    # -- running a prompt ------------------------------------------------------------

    async def run(
        self,
        graph: dict[str, Any],
        *,
        on_progress: ProgressSink,
        cancel_requested: CancelCheck,
    ) -> PromptResult:
        """Queue ``graph``, follow it to the end and return its image.

        Raises EngineError (ModelNotFound for missing model files) when ComfyUI rejects or
        fails the prompt, GenerationCancelled when ``cancel_requested`` turned true and the
        prompt was interrupted or removed, BackendUnavailable when the server cannot be
        reached or stops making progress.
        """
        client_id = uuid.uuid4().hex
        prompt_id = str(uuid.uuid4())
        run = _PromptRun(
            prompt_id=prompt_id,
            graph=graph,
            on_progress=on_progress,
            cancel_requested=cancel_requested,
            progress=SamplingProgress(count_sampler_nodes(graph)),
        )
        websocket: ClientConnection | None = await self._open_websocket(client_id)
        submitted = False
        finished = False
        try:
            if cancel_requested():
                raise GenerationCancelled("cancelled before it was queued")
            await self.submit(graph, prompt_id, client_id)
            submitted = True
            run.touch()
            websocket = await self._follow(run, websocket, client_id)
            finished = True
            return await self._result(run)
        finally:
            if websocket is not None:
                with contextlib.suppress(Exception):
                    await websocket.close()
            if submitted and not finished:
                await self._abandon(prompt_id)

    async def _abandon(self, prompt_id: str) -> None:
        """Best effort: do not leave a prompt we gave up on running on the server."""
        with contextlib.suppress(Exception):
            await self.delete_pending([prompt_id], timeout=1.0)
            await self.interrupt(prompt_id, timeout=1.0)

    async def _follow(
        self, run: _PromptRun, websocket: ClientConnection | None, client_id: str
    ) -> ClientConnection | None:
        """Read events until the prompt has its image; returns the (possibly new) socket."""
        reconnect_delay = RECONNECT_FIRST_DELAY
        next_reconnect = 0.0
        unreachable_since: float | None = None
        run.next_history_poll = time.monotonic() + QUIET_POLL_INTERVAL
        while True:
            if run.cancel_requested() and not run.cancel_sent:
                await self._send_cancel(run)
            self._raise_if_failed(run)
            if run.finished():
                return websocket
            now = time.monotonic()

            if websocket is None and now >= next_reconnect:
                try:
                    websocket = await self._open_websocket(client_id)
                    reconnect_delay = RECONNECT_FIRST_DELAY
                    run.next_history_poll = 0.0  # catch up on what was missed
                except BackendUnavailable:
                    next_reconnect = time.monotonic() + reconnect_delay
                    reconnect_delay = min(reconnect_delay * 2, RECONNECT_MAX_DELAY)

            if run.backend_done or time.monotonic() >= run.next_history_poll:
                run.backend_done = False
                try:
                    await self._check_history(run, websocket_up=websocket is not None)
                    unreachable_since = None
                except BackendUnavailable:
                    if websocket is not None:
                        raise
                    unreachable_since = unreachable_since or now
                    if now - unreachable_since >= self.timeouts.connect:
                        raise
                urgent = run.succeeded or run.cancel_sent or websocket is None
                run.next_history_poll = time.monotonic() + (TICK if urgent else QUIET_POLL_INTERVAL)
                continue

            if time.monotonic() - run.last_activity > self.timeouts.no_progress:
                raise BackendUnavailable(
                    f"ComfyUI at {self.base_url} made no progress on prompt {run.prompt_id} "
                    f"for {self.timeouts.no_progress:g} s"
                )

            if websocket is None:
                await asyncio.sleep(TICK)
                continue
            try:
                frame = await asyncio.wait_for(websocket.recv(), timeout=TICK)
            except TimeoutError:
                continue
            except ConnectionClosed:
                log.info("websocket to %s closed during prompt %s", self.base_url, run.prompt_id)
                with contextlib.suppress(Exception):
                    await websocket.close()
                websocket = None
                next_reconnect = run.next_history_poll = time.monotonic()
                continue
            self._handle_frame(run, frame)

    def _raise_if_failed(self, run: _PromptRun) -> None:
        if run.error is not None:
            raise run.error
        if run.interrupted is not None:
            if run.cancel_sent or run.cancel_requested():
                raise GenerationCancelled("cancelled while running on ComfyUI")
            raise EngineError(describe_interruption(run.interrupted) + " (not at GAZE's request)")

    def _handle_frame(self, run: _PromptRun, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            return  # previews; not needed
        try:
            message = json.loads(frame)
        except ValueError:
            log.debug("ignoring a websocket frame that is not JSON: %.80r", frame)
            return
        if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
            return
        kind = message.get("type")
        data: dict[str, Any] = message["data"]
        if kind == "status":
            try:
                remaining = int(data["status"]["exec_info"]["queue_remaining"])
            except (KeyError, TypeError, ValueError):
                return
            if remaining != run.queue_remaining:
                run.queue_remaining = remaining
                run.touch()
            return
        if data.get("prompt_id") != run.prompt_id:
            return
        run.touch()
        if kind == "execution_cached":
            cached = [str(node) for node in data.get("nodes") or []]
            run.progress.expect(count_sampler_nodes(run.graph, skip=cached))
        elif kind == "progress":
            try:
                value, maximum = float(data["value"]), float(data["max"])
            except (KeyError, TypeError, ValueError):
                return
            node = data.get("node")
            fraction = run.progress.update(None if node is None else str(node), value, maximum)
            if fraction is not None:
                run.on_progress(fraction)
        elif kind == "executed":
            run.images.extend(_images_of(data.get("output")))
        elif kind == "execution_success":
            run.succeeded = True
        elif kind == "execution_error":
            run.error = EngineError(describe_execution_error(data))
        elif kind == "execution_interrupted":
            run.interrupted = data
        elif kind == "executing" and data.get("node") is None:
            run.backend_done = True

    async def _check_history(self, run: _PromptRun, *, websocket_up: bool) -> None:
        """Settle ``run`` from /history if the prompt has ended; detect a vanished prompt."""
        entry = await self.history_entry(run.prompt_id)
        if entry is None:
            running, pending = await self.queue_state()
            if run.prompt_id in running or run.prompt_id in pending:
                if not websocket_up:
                    run.touch()  # no live events to go by; the server still has it
                return
            entry = await self.history_entry(run.prompt_id)
            if entry is None:
                if run.cancel_sent:
                    raise GenerationCancelled("removed from the ComfyUI queue before it started")
                raise BackendUnavailable(
                    f"ComfyUI at {self.base_url} lost prompt {run.prompt_id} "
                    "(restarted, or removed from its queue)"
                )
        self._settle(run, entry)

    def _settle(self, run: _PromptRun, entry: dict[str, Any]) -> None:
        status = entry.get("status") if isinstance(entry.get("status"), dict) else None
        messages = status.get("messages", []) if status else []
        for message in messages:
            if not (isinstance(message, list) and len(message) == 2):
                continue
            event, data = message
            if not isinstance(data, dict):
                continue
            if event == "execution_error":
                run.error = EngineError(describe_execution_error(data))
            elif event == "execution_interrupted":
                run.interrupted = data
        if run.error is not None or run.interrupted is not None:
            return
        if status is not None and status.get("status_str") == "error":
            run.error = EngineError(f"ComfyUI reports prompt {run.prompt_id} failed")
            return
        images: list[OutputImage] = []
        outputs = entry.get("outputs")
        if isinstance(outputs, dict):
            for output in outputs.values():
                images.extend(_images_of(output))
        if not images:
            run.error = EngineError(
                "ComfyUI finished the prompt but it produced no image "
                "(the workflow needs a SaveImage or PreviewImage node)"
            )
            return
        run.images = images
        run.succeeded = True
        run.completed_via = "history"

    async def _send_cancel(self, run: _PromptRun) -> None:
        run.cancel_sent = True
        try:
            await self.delete_pending([run.prompt_id])
            await self.interrupt(run.prompt_id)
        except BackendUnavailable as error:
            raise GenerationCancelled(f"cancelled (ComfyUI could not be told: {error})") from error
        run.next_history_poll = time.monotonic() + TICK

    async def _result(self, run: _PromptRun) -> PromptResult:
        image = _pick_image(run.images)
        assert image is not None
        data = await self.fetch_image(image)
        fraction = run.progress.finish()
        if fraction is not None:
            run.on_progress(fraction)
        return PromptResult(
            prompt_id=run.prompt_id,
            image=image,
            data=data,
            images=tuple(run.images),
            completed_via=run.completed_via,
        )
