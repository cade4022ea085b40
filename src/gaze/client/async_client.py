"""AsyncGazeClient: the REST API from asyncio code (httpx.AsyncClient)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
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
from gaze.client.sync_client import RECONNECT_DELAY_SECONDS


class AsyncGazeClient:
    """``async with AsyncGazeClient(url, api_key) as gaze: await gaze.generate(...)``;
    url and key default to $GAZE_URL and $GAZE_API_KEY. Same methods as GazeClient."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = (url or calls.default_url()).rstrip("/")
        key = api_key if api_key is not None else calls.default_api_key()
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={"X-API-Key": key} if key else {},
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> AsyncGazeClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: calls.Call) -> httpx.Response:
        try:
            return await self._http.request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                headers=call.headers,
                files=call.files,
            )
        except httpx.TransportError as error:
            raise GazeConnectionError(f"cannot reach GAZE at {self.url}: {error}") from error

    async def _json(self, call: calls.Call) -> dict[str, Any]:
        return calls.answer_json(await self._send(call))

    async def presets(self) -> list[Preset]:
        data = await self._json(calls.Call("GET", "/api/v1/presets"))
        return [Preset.from_json(preset) for preset in data["presets"]]

    async def generate(self, preset: str, **options: Any) -> Submission:
        response = await self._send(calls.generate_call(preset, **options))
        data = calls.answer_json(response)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return Submission.from_json(data, replayed=replayed)

    async def compose(self, recipe: dict[str, Any], **options: Any) -> Submission:
        response = await self._send(calls.compose_call(recipe, **options))
        data = calls.answer_json(response)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return Submission.from_json(data, replayed=replayed)

    async def resolve(self, preset: str, **options: Any) -> dict[str, Any]:
        return await self._json(calls.resolve_call(preset, **options))

    async def resolve_recipe(self, recipe: dict[str, Any], **options: Any) -> dict[str, Any]:
        return await self._json(calls.resolve_recipe_call(recipe, **options))

    async def save_recipe(
        self, recipe: dict[str, Any], name: str, preset_id: str | None = None
    ) -> dict[str, Any]:
        return await self._json(calls.save_recipe_call(recipe, name, preset_id))

    async def job(self, job_id: str) -> Job:
        path = f"/api/v1/job/{calls.segment(job_id)}"
        return Job.from_json(await self._json(calls.Call("GET", path)))

    async def jobs(
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
        return JobPage.from_json(await self._json(call))

    async def iter_jobs(self, **filters: Any) -> AsyncIterator[Job]:
        cursor: str | None = None
        while True:
            page = await self.jobs(cursor=cursor, **filters)
            for job in page.jobs:
                yield job
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def cancel(self, job_id: str) -> Job:
        path = f"/api/v1/job/{calls.segment(job_id)}/cancel"
        return Job.from_json(await self._json(calls.Call("POST", path)))

    async def retry(self, job_id: str) -> Submission:
        path = f"/api/v1/job/{calls.segment(job_id)}/retry"
        return Submission.from_json(await self._json(calls.Call("POST", path)))

    async def upload(self, image: Path | str | bytes) -> UploadedImage:
        call = await asyncio.to_thread(calls.upload_call, image)
        return UploadedImage.from_json(await self._json(call))

    async def upscale(
        self,
        job_id: str,
        *,
        scale: float | None = None,
        upscaler: str | None = None,
        denoise: float | None = None,
    ) -> Submission:
        call = calls.upscale_call(job_id, scale=scale, upscaler=upscaler, denoise=denoise)
        return Submission.from_json(await self._json(call))

    async def vary(
        self,
        job_id: str,
        *,
        denoise: float | None = None,
        seed: int | None = None,
        count: int | None = None,
    ) -> Submission:
        call = calls.vary_call(job_id, denoise=denoise, seed=seed, count=count)
        return Submission.from_json(await self._json(call))

    async def webhook_deliveries(self, job_id: str) -> list[WebhookDelivery]:
        path = f"/api/v1/job/{calls.segment(job_id)}/webhooks"
        data = await self._json(calls.Call("GET", path))
        return [WebhookDelivery.from_json(item) for item in data["deliveries"]]

    async def batch(self, batch_id: str) -> Batch:
        path = f"/api/v1/batch/{calls.segment(batch_id)}"
        return Batch.from_json(await self._json(calls.Call("GET", path)))

    async def cancel_batch(self, batch_id: str) -> Batch:
        path = f"/api/v1/batch/{calls.segment(batch_id)}/cancel"
        return Batch.from_json(await self._json(calls.Call("POST", path)))

    async def queue(self) -> QueueOverview:
        return QueueOverview.from_json(await self._json(calls.Call("GET", "/api/v1/queue")))

    async def wait(
        self, job_id: str, *, timeout: float | None = None, interval: float = 0.5
    ) -> Job:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = await self.job(job_id)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise GazeTimeout(f"job {job_id} is still {job.status} after {timeout:g} s")
            await asyncio.sleep(interval)

    async def events(
        self,
        *,
        job: str | None = None,
        batch: str | None = None,
        last_event_id: int | None = None,
        reconnect: bool = True,
    ) -> AsyncIterator[Event]:
        last = last_event_id
        while True:
            parser = SseParser()
            call = calls.events_call(job=job, batch=batch, last_event_id=last)
            try:
                async with self._http.stream(
                    "GET",
                    call.path,
                    params=call.params,
                    headers=call.headers,
                    timeout=httpx.Timeout(self._http.timeout.connect, read=None),
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise calls.api_error(response)
                    async for line in response.aiter_lines():
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
            await asyncio.sleep((parser.retry_ms or RECONNECT_DELAY_SECONDS * 1000) / 1000)

    async def download(self, job: Job, directory: Path) -> Path:
        if job.result is None:
            raise ValueError(f"job {job.id} has no image (status {job.status})")
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / calls.image_file_name(job.result.image_url)
        try:
            response = await self._http.get(job.result.image_url)
        except httpx.TransportError as error:
            raise GazeConnectionError(f"cannot download {job.result.image_url}: {error}") from error
        if response.status_code >= 400:
            raise calls.api_error(response)
        await asyncio.to_thread(target.write_bytes, response.content)
        return target
