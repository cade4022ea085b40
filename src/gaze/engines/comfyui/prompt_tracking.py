"""One queued prompt followed through ComfyUI's ``/ws`` messages and ``/history`` entry, no I/O.

`PromptTracker.feed` takes each decoded text message of the websocket (binary preview frames
never reach it); ComfyUI sends, with these ``data`` shapes:

* ``status``: ``{"status": {"exec_info": {"queue_remaining": n}}}`` (plus ``sid`` on connect),
  to every client whenever the queue changes;
* ``execution_start``: ``{"prompt_id", "timestamp"}``;
* ``execution_cached``: ``{"nodes": [ids], "prompt_id", "timestamp"}``: nodes that will not run;
* ``executing``: ``{"node", "display_node", "prompt_id"}``; ``node`` null once the prompt has
  ended and its history entry is written. A client reconnecting while its prompt runs gets
  ``{"node"}`` alone, without ``prompt_id``;
* ``progress``: ``{"value", "max", "prompt_id", "node"}`` from samplers;
* ``executed``: ``{"node", "display_node", "output": {"images": [...]}, "prompt_id"}``;
* ``execution_success``, ``execution_error`` (``node_id``, ``node_type``, ``exception_type``,
  ``exception_message``, ...), ``execution_interrupted`` (``node_id``, ``node_type``, ...).

Messages of other prompts are ignored. `PromptTracker.settle` reads the history entry, the
source of truth whenever messages may have been lost (a reconnect, a quiet socket).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gaze.engines.base import EngineError, GenerationCancelled
from gaze.engines.comfyui.backend_errors import describe_execution_error, describe_interruption
from gaze.engines.comfyui.sampling_progress import SamplingProgress, sampler_weights, samples


@dataclass(frozen=True)
class OutputImage:
    filename: str
    subfolder: str
    type: str

    def query(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}


class PromptState(enum.Enum):
    QUEUED = "queued"
    """Submitted; nothing of it seen yet."""
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    """Ended well; `PromptTracker.finished` tells whether its image is known yet."""
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Update:
    """What one message told about the prompt."""

    alive: bool = False
    """A sign of life: a message about the prompt, or a change of the server's queue."""
    progress: float | None = None
    """The prompt's new overall fraction done, when it went up."""
    history_written: bool = False
    """The prompt has ended and its history entry can be read."""


NOTHING = Update()


def _images_of(output: Any) -> list[OutputImage]:
    """The images a node's ``output`` (``{"images": [{filename, subfolder, type}]}``) names."""
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


class PromptTracker:
    """The state of prompt ``prompt_id`` (running ``graph``) as its messages tell it."""

    def __init__(self, prompt_id: str, graph: dict[str, Any]) -> None:
        self.prompt_id = prompt_id
        self._graph = graph
        self._progress = SamplingProgress(sampler_weights(graph))
        self.images: list[OutputImage] = []
        self.queue_remaining: int | None = None
        self.completed_via = "websocket"
        """``websocket`` when the end was seen live, ``history`` when /history told it."""
        self._seen = False
        self._succeeded = False
        self._error: EngineError | None = None
        self._interrupted: dict[str, Any] | None = None

    @property
    def state(self) -> PromptState:
        if self._error is not None:
            return PromptState.FAILED
        if self._interrupted is not None:
            return PromptState.INTERRUPTED
        if self._succeeded:
            return PromptState.SUCCEEDED
        return PromptState.RUNNING if self._seen else PromptState.QUEUED

    @property
    def finished(self) -> bool:
        """Ended well and the image to fetch is known."""
        return self.state is PromptState.SUCCEEDED and bool(self.images)

    def failure(self, *, cancelled: bool) -> EngineError | None:
        """The error that ends the prompt, None while it has not failed. ``cancelled``: GAZE
        asked to stop it, so an interruption is a cancel rather than a failure."""
        if self._error is not None:
            return self._error
        if self._interrupted is not None:
            if cancelled:
                return GenerationCancelled("cancelled while running on ComfyUI")
            reason = describe_interruption(self._interrupted)
            return EngineError(f"{reason} (not at GAZE's request)")
        return None

    def image(self) -> OutputImage | None:
        """The image to fetch: the first saved one, else the first preview."""
        return _pick_image(self.images)

    def finish_progress(self) -> float | None:
        """1.0 when it was not reported yet (call once the image is fetched)."""
        return self._progress.finish()

    # -- websocket messages ----------------------------------------------------------

    def feed(self, message: Any) -> Update:
        """Fold in one decoded websocket message."""
        if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
            return NOTHING
        kind = message.get("type")
        data: dict[str, Any] = message["data"]
        if kind == "status":
            return self._queue_status(data)
        if data.get("prompt_id") != self.prompt_id:
            return NOTHING
        self._seen = True
        if kind == "execution_cached":
            cached = [str(node) for node in data.get("nodes") or []]
            self._progress.expect(sampler_weights(self._graph, skip=cached))
        elif kind == "progress":
            return Update(alive=True, progress=self._sampling_progress(data))
        elif kind == "executed":
            self.images.extend(_images_of(data.get("output")))
        elif kind == "execution_success":
            self._succeeded = True
        elif kind == "execution_error":
            self._error = EngineError(describe_execution_error(data))
        elif kind == "execution_interrupted":
            self._interrupted = data
        elif kind == "executing" and data.get("node") is None:
            return Update(alive=True, history_written=True)
        return Update(alive=True)

    def _queue_status(self, data: dict[str, Any]) -> Update:
        try:
            remaining = int(data["status"]["exec_info"]["queue_remaining"])
        except (KeyError, TypeError, ValueError):
            return NOTHING
        if remaining == self.queue_remaining:
            return NOTHING
        self.queue_remaining = remaining
        return Update(alive=True)

    def _sampling_progress(self, data: dict[str, Any]) -> float | None:
        try:
            value, maximum = float(data["value"]), float(data["max"])
        except (KeyError, TypeError, ValueError):
            return None
        node = None if data.get("node") is None else str(data["node"])
        if not samples(self._graph, node):
            return None
        return self._progress.update(node, value, maximum)

    # -- history ---------------------------------------------------------------------

    def settle(self, entry: dict[str, Any]) -> None:
        """Take the ending from the prompt's history entry (``GET /history/{prompt_id}``):
        ``{"prompt": [...], "outputs": {node: output}, "status": {"status_str", "messages"}}``."""
        status = entry.get("status") if isinstance(entry.get("status"), dict) else None
        messages = status.get("messages", []) if status else []
        for message in messages:
            if not (isinstance(message, list) and len(message) == 2):
                continue
            event, data = message
            if not isinstance(data, dict):
                continue
            if event == "execution_error":
                self._error = EngineError(describe_execution_error(data))
            elif event == "execution_interrupted":
                self._interrupted = data
        if self._error is not None or self._interrupted is not None:
            return
        if status is not None and status.get("status_str") == "error":
            self._error = EngineError(f"ComfyUI reports prompt {self.prompt_id} failed")
            return
        images: list[OutputImage] = []
        outputs = entry.get("outputs")
        if isinstance(outputs, dict):
            for output in outputs.values():
                images.extend(_images_of(output))
        if not images:
            self._error = EngineError(
                "ComfyUI finished the prompt but it produced no image "
                "(the workflow needs a SaveImage or PreviewImage node)"
            )
            return
        self.images = images
        self._succeeded = True
        self.completed_via = "history"
