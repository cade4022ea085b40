"""One prompt run on a ComfyUI server, from queueing it to its image (`run_prompt`).

1. open ``/ws?clientId=<id>`` first, so no message is missed;
2. ``POST /prompt`` with ``{"prompt", "client_id", "prompt_id"}`` (our own uuid4);
3. feed each text frame to a `PromptTracker` (`prompt_tracking`), which follows the prompt
   through ComfyUI's messages; binary frames (previews) are ignored;
4. fetch the image with ``GET /view``.

``GET /history/{prompt_id}`` is the source of truth whenever messages may have been lost:
after a websocket reconnect, while the websocket is down, after a quiet spell, and before
giving up. The run fails with BackendUnavailable when nothing happens for
``Timeouts.no_progress`` seconds. A prompt given up on is removed from the server's queue
and interrupted, best effort.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from gaze.engines.base import BackendUnavailable, GenerationCancelled
from gaze.engines.comfyui.client import ComfyUIClient
from gaze.engines.comfyui.prompt_tracking import OutputImage, PromptState, PromptTracker

log = logging.getLogger(__name__)

ProgressSink = Callable[[float], None]
CancelCheck = Callable[[], bool]

TICK = 0.1
"""Seconds between checks of the cancel flag and deadlines while waiting for frames."""

QUIET_POLL_INTERVAL = 2.0
"""Poll /history when the websocket has been silent this long (frames may be lost)."""

RECONNECT_FIRST_DELAY = 0.05
RECONNECT_MAX_DELAY = 2.0


@dataclass(frozen=True)
class PromptResult:
    prompt_id: str
    image: OutputImage
    data: bytes
    images: tuple[OutputImage, ...]
    completed_via: str
    """``websocket`` when the end was seen live, ``history`` when /history told us."""


async def run_prompt(
    client: ComfyUIClient,
    graph: dict[str, Any],
    *,
    on_progress: ProgressSink,
    cancel_requested: CancelCheck,
) -> PromptResult:
    """Queue ``graph`` on ``client``'s server, follow it to the end and return its image.

    Raises EngineError (ModelNotFound for missing model files) when ComfyUI rejects or
    fails the prompt, GenerationCancelled when ``cancel_requested`` turned true and the
    prompt was interrupted or removed, BackendUnavailable when the server cannot be
    reached or stops making progress.
    """
    run = _PromptRun(client, PromptTracker(str(uuid.uuid4()), graph), on_progress, cancel_requested)
    return await run.run(graph)


class _PromptRun:
    """One prompt being run: its tracker, and the timing of the socket and history polls."""

    def __init__(
        self,
        client: ComfyUIClient,
        tracker: PromptTracker,
        on_progress: ProgressSink,
        cancel_requested: CancelCheck,
    ) -> None:
        self.client = client
        self.tracker = tracker
        self.prompt_id = tracker.prompt_id
        self.client_id = uuid.uuid4().hex
        self.on_progress = on_progress
        self.cancel_requested = cancel_requested
        self.last_activity = time.monotonic()
        self.history_due = False
        self.cancel_sent = False
        self.next_history_poll = 0.0

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    async def run(self, graph: dict[str, Any]) -> PromptResult:
        websocket: ClientConnection | None = await self.client.open_websocket(self.client_id)
        submitted = False
        finished = False
        try:
            if self.cancel_requested():
                raise GenerationCancelled("cancelled before it was queued")
            await self.client.submit(graph, self.prompt_id, self.client_id)
            submitted = True
            self.touch()
            websocket = await self._follow(websocket)
            finished = True
            return await self._result()
        finally:
            if websocket is not None:
                with contextlib.suppress(Exception):
                    await websocket.close()
            if submitted and not finished:
                await self._abandon()

    async def _abandon(self) -> None:
        """Best effort: do not leave a prompt we gave up on running on the server."""
        with contextlib.suppress(Exception):
            await self.client.delete_pending([self.prompt_id], timeout=1.0)
            await self.client.interrupt(self.prompt_id, timeout=1.0)

    async def _follow(self, websocket: ClientConnection | None) -> ClientConnection | None:
        """Read messages until the prompt has its image; returns the (possibly new) socket."""
        timeouts = self.client.timeouts
        reconnect_delay = RECONNECT_FIRST_DELAY
        next_reconnect = 0.0
        unreachable_since: float | None = None
        self.next_history_poll = time.monotonic() + QUIET_POLL_INTERVAL
        while True:
            if self.cancel_requested() and not self.cancel_sent:
                await self._send_cancel()
            failure = self.tracker.failure(cancelled=self.cancel_sent or self.cancel_requested())
            if failure is not None:
                raise failure
            if self.tracker.finished:
                return websocket
            now = time.monotonic()

            if websocket is None and now >= next_reconnect:
                try:
                    websocket = await self.client.open_websocket(self.client_id)
                    reconnect_delay = RECONNECT_FIRST_DELAY
                    self.next_history_poll = 0.0  # catch up on what was missed
                except BackendUnavailable:
                    next_reconnect = time.monotonic() + reconnect_delay
                    reconnect_delay = min(reconnect_delay * 2, RECONNECT_MAX_DELAY)

            if self.history_due or time.monotonic() >= self.next_history_poll:
                self.history_due = False
                try:
                    await self._check_history(websocket_up=websocket is not None)
                    unreachable_since = None
                except BackendUnavailable:
                    if websocket is not None:
                        raise
                    unreachable_since = unreachable_since or now
                    if now - unreachable_since >= timeouts.connect:
                        raise
                succeeded = self.tracker.state is PromptState.SUCCEEDED
                urgent = succeeded or self.cancel_sent or websocket is None
                self.next_history_poll = time.monotonic() + (
                    TICK if urgent else QUIET_POLL_INTERVAL
                )
                continue

            if time.monotonic() - self.last_activity > timeouts.no_progress:
                raise BackendUnavailable(
                    f"ComfyUI at {self.client.base_url} made no progress on prompt "
                    f"{self.prompt_id} for {timeouts.no_progress:g} s"
                )

            if websocket is None:
                await asyncio.sleep(TICK)
                continue
            try:
                frame = await asyncio.wait_for(websocket.recv(), timeout=TICK)
            except TimeoutError:
                continue
            except ConnectionClosed:
                log.info(
                    "websocket to %s closed during prompt %s", self.client.base_url, self.prompt_id
                )
                with contextlib.suppress(Exception):
                    await websocket.close()
                websocket = None
                next_reconnect = self.next_history_poll = time.monotonic()
                continue
            self._handle_frame(frame)

    def _handle_frame(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            return  # previews; not needed
        try:
            message = json.loads(frame)
        except ValueError:
            log.debug("ignoring a websocket frame that is not JSON: %.80r", frame)
            return
        update = self.tracker.feed(message)
        if update.alive:
            self.touch()
        if update.progress is not None:
            self.on_progress(update.progress)
        if update.history_written:
            self.history_due = True

    async def _check_history(self, *, websocket_up: bool) -> None:
        """Settle the prompt from /history if it has ended; detect a vanished prompt."""
        entry = await self.client.history_entry(self.prompt_id)
        if entry is None:
            running, pending = await self.client.queue_state()
            if self.prompt_id in running or self.prompt_id in pending:
                if not websocket_up:
                    self.touch()  # no live messages to go by; the server still has it
                return
            entry = await self.client.history_entry(self.prompt_id)
            if entry is None:
                if self.cancel_sent:
                    raise GenerationCancelled("removed from the ComfyUI queue before it started")
                raise BackendUnavailable(
                    f"ComfyUI at {self.client.base_url} lost prompt {self.prompt_id} "
                    "(restarted, or removed from its queue)"
                )
        self.tracker.settle(entry)

    async def _send_cancel(self) -> None:
        self.cancel_sent = True
        try:
            await self.client.delete_pending([self.prompt_id])
            await self.client.interrupt(self.prompt_id)
        except BackendUnavailable as error:
            raise GenerationCancelled(f"cancelled (ComfyUI could not be told: {error})") from error
        self.next_history_poll = time.monotonic() + TICK

    async def _result(self) -> PromptResult:
        image = self.tracker.image()
        assert image is not None
        data = await self.client.fetch_image(image)
        fraction = self.tracker.finish_progress()
        if fraction is not None:
            self.on_progress(fraction)
        return PromptResult(
            prompt_id=self.prompt_id,
            image=image,
            data=data,
            images=tuple(self.tracker.images),
            completed_via=self.tracker.completed_via,
        )
