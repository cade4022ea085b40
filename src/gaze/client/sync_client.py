"""GazeClient: the REST API from synchronous Python (httpx)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from gaze.client import calls
from gaze.client.errors import GazeConnectionError, GazeTimeout
from gaze.client.models import (
    Batch,
    Event,
    Job,
    JobPage,
    Preset,
    QueueOverview,
    Submission,
    UploadedImage,
    WebhookDelivery,
)
from gaze.client.sse import SseParser

RECONNECT_DELAY_SECONDS = 1.0


class GazeClient:
    """``GazeClient(url, api_key)``; both default to $GAZE_URL and $GAZE_API_KEY.

    >>> with GazeClient() as gaze:
    ...     queued = gaze.generate("example_01", count=2, seed=1234)
    ...     jobs = [gaze.wait(job_id) for job_id in queued.job_ids]
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = (url or calls.default_url()).rstrip("/")
        key = api_key if api_key is not None else calls.default_api_key()
        self._http = httpx.Client(
            base_url=self.url,
            headers={"X-API-Key": key} if key else {},
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> GazeClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: calls.Call) -> httpx.Response:
        try:
            return self._http.request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                headers=call.headers,
                files=call.files,
            )
        except httpx.TransportError as error:
            raise GazeConnectionError(f"cannot reach GAZE at {self.url}: {error}") from error

    def _json(self, call: calls.Call) -> dict[str, Any]:
        return calls.answer_json(self._send(call))

    # -- the guide's endpoints --------------------------------------------------------

    def presets(self) -> list[Preset]:
        data = self._json(calls.Call("GET", "/api/v1/presets"))
        return [Preset.from_json(preset) for preset in data["presets"]]

    def generate(self, preset: str, **options: Any) -> Submission:
        """Queue images of a preset. Options: count, seed, width, height, checkpoint,
        extra_positive, extra_negative, webhook_url, webhook_events, idempotency_key, and for a
        second pass init_image, denoise, resize, mask, mask_blur, mask_grow and hires (a Hires
        or dict; hires=None turns the preset's hires pass off); slots ({category: id, slot
        dict or None}) replaces the preset's slots."""
        response = self._send(calls.generate_call(preset, **options))
        data = calls.answer_json(response)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return Submission.from_json(data, replayed=replayed)

    def compose(self, recipe: dict[str, Any], **options: Any) -> Submission:
        """Queue images of a recipe (a preset's fields, not saved; slots take the shorthand:
        an id fixes the slot, None turns it off). Options: as for `generate`."""
        response = self._send(calls.compose_call(recipe, **options))
        data = calls.answer_json(response)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return Submission.from_json(data, replayed=replayed)

    def resolve(self, preset: str, **options: Any) -> dict[str, Any]:
        """What generating the preset would run (seed, slots and the other generate options
        that change the result), without generating: the resolve answer as JSON."""
        return self._json(calls.resolve_call(preset, **options))

    def resolve_recipe(self, recipe: dict[str, Any], **options: Any) -> dict[str, Any]:
        """`resolve` for a recipe."""
        return self._json(calls.resolve_recipe_call(recipe, **options))

    def save_recipe(
        self, recipe: dict[str, Any], name: str, preset_id: str | None = None
    ) -> dict[str, Any]:
        """Save a recipe as a preset; the stored preset document."""
        return self._json(calls.save_recipe_call(recipe, name, preset_id))

    def job(self, job_id: str) -> Job:
        return Job.from_json(self._json(calls.Call("GET", f"/api/v1/job/{calls.segment(job_id)}")))

    # -- jobs ---------------------------------------------------------------------------

    def jobs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        preset: str | None = None,
        batch_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> JobPage:
        call = calls.jobs_call(
            status=status, preset=preset, batch_id=batch_id, limit=limit, cursor=cursor
        )
        return JobPage.from_json(self._json(call))

    def iter_jobs(self, **filters: Any) -> Iterator[Job]:
        """Every job matching the filters, newest first, page after page."""
        cursor: str | None = None
        while True:
            page = self.jobs(cursor=cursor, **filters)
            yield from page.jobs
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def cancel(self, job_id: str) -> Job:
        path = f"/api/v1/job/{calls.segment(job_id)}/cancel"
        return Job.from_json(self._json(calls.Call("POST", path)))

    def retry(self, job_id: str) -> Submission:
        path = f"/api/v1/job/{calls.segment(job_id)}/retry"
        return Submission.from_json(self._json(calls.Call("POST", path)))

    def upload(self, image: Path | str | bytes) -> UploadedImage:
        """Upload an image (a file path or its bytes; PNG, JPEG or WebP) to start from: its
        `relative_path` is what generate's `init_image` and `mask` take."""
        return UploadedImage.from_json(self._json(calls.upload_call(image)))

    def upscale(
        self,
        job_id: str,
        *,
        scale: float | None = None,
        upscaler: str | None = None,
        denoise: float | None = None,
    ) -> Submission:
        """A hires-style pass over a done job's image as a new job (server defaults: scale 2,
        pixel-lanczos, denoise 0.35)."""
        call = calls.upscale_call(job_id, scale=scale, upscaler=upscaler, denoise=denoise)
        return Submission.from_json(self._json(call))

    def vary(
        self,
        job_id: str,
        *,
        denoise: float | None = None,
        seed: int | None = None,
        count: int | None = None,
    ) -> Submission:
        """img2img from a done job's image (denoise default 0.35), a new random seed unless
        `seed` is given; `count` images."""
        call = calls.vary_call(job_id, denoise=denoise, seed=seed, count=count)
        return Submission.from_json(self._json(call))

    def webhook_deliveries(self, job_id: str) -> list[WebhookDelivery]:
        path = f"/api/v1/job/{calls.segment(job_id)}/webhooks"
        data = self._json(calls.Call("GET", path))
        return [WebhookDelivery.from_json(item) for item in data["deliveries"]]

    def batch(self, batch_id: str) -> Batch:
        path = f"/api/v1/batch/{calls.segment(batch_id)}"
        return Batch.from_json(self._json(calls.Call("GET", path)))

    def cancel_batch(self, batch_id: str) -> Batch:
        path = f"/api/v1/batch/{calls.segment(batch_id)}/cancel"
        return Batch.from_json(self._json(calls.Call("POST", path)))

    def queue(self) -> QueueOverview:
        return QueueOverview.from_json(self._json(calls.Call("GET", "/api/v1/queue")))

    # -- waiting ------------------------------------------------------------------------

    def wait(self, job_id: str, *, timeout: float | None = None, interval: float = 0.5) -> Job:
        """Poll until the job is done, failed or cancelled."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise GazeTimeout(f"job {job_id} is still {job.status} after {timeout:g} s")
            time.sleep(interval)

    def events(
        self,
        *,
        job: str | None = None,
        batch: str | None = None,
        last_event_id: int | None = None,
        reconnect: bool = True,
    ) -> Iterator[Event]:
        """Server-sent events, forever; after a dropped connection it reconnects with the
        last event id, so no event is missed."""
        last = last_event_id
        while True:
            parser = SseParser()
            call = calls.events_call(job=job, batch=batch, last_event_id=last)
            try:
                with self._http.stream(
                    "GET",
                    call.path,
                    params=call.params,
                    headers=call.headers,
                    timeout=httpx.Timeout(self._http.timeout.connect, read=None),
                ) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise calls.api_error(response)
                    for line in response.iter_lines():
                        for event in parser.feed(line):
                            if event.id is not None:
                                last = event.id
                            yield event
            except httpx.TransportError as error:
                if not reconnect:
                    raise GazeConnectionError(
                        f"event stream from {self.url} broke: {error}"
                    ) from error
            if not reconnect:
                return
            time.sleep((parser.retry_ms or RECONNECT_DELAY_SECONDS * 1000) / 1000)

    def download(self, job: Job, directory: Path) -> Path:
        """Save a done job's image into `directory` (created if needed); returns the path."""
        if job.result is None:
            raise ValueError(f"job {job.id} has no image (status {job.status})")
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / calls.image_file_name(job.result.image_url)
        try:
            response = self._http.get(job.result.image_url)
        except httpx.TransportError as error:
            raise GazeConnectionError(f"cannot download {job.result.image_url}: {error}") from error
        if response.status_code >= 400:
            raise calls.api_error(response)
        target.write_bytes(response.content)
        return target
