"""ComfyUIEngine: the Engine protocol over one ComfyUI server.

Synchronous by contract (the caller is a worker thread): each call runs the async client
in an event loop of its own. Model lists are cached for ``model_list_ttl`` seconds and
used both to refuse a job whose models the server lacks before queueing it and to send
model names spelled the way the server spells them (a Windows ComfyUI lists
``sdxl\\model.safetensors``). A server that could not be reached (by a listing, a
health check or a job) counts as unreachable for ``unreachable_retry`` seconds, or until a
health check finds it up: its model lists then raise BackendUnavailable at once, so
preflights and leases neither wait on it nor trust lists from before it went away.

A spec may carry its own workflow (``spec.workflow_template``, see
`gaze.workflow_templates`); it replaces the engine's ``workflow_template``, which
replaces the built-in graph (`workflow`).

A job with an init image (and mask) has them prepared by `gaze.engines.image_inputs` and
uploaded (`uploads`) before its prompt is queued; the graph loads them by name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image, UnidentifiedImageError

from gaze.engines.base import (
    BackendHealth,
    BackendUnavailable,
    CancelToken,
    EngineCapabilities,
    EngineError,
    GenerationCancelled,
    GenerationResult,
    ModelNotFound,
    ProgressCallback,
)
from gaze.engines.comfyui.client import ComfyUIClient, Timeouts
from gaze.engines.comfyui.prompt_run import run_prompt
from gaze.engines.comfyui.template_filling import fill_template
from gaze.engines.comfyui.uploads import prepared_uploads, upload_inputs
from gaze.engines.comfyui.workflow import UploadedImages, build_workflow, loaded_checkpoint
from gaze.engines.model_lists import ModelNeed, model_needs
from gaze.generation_spec import GenerationSpec, LoraSpec, is_upscale_model
from gaze.workflow_templates import (
    Template,
    TemplateError,
    template_models,
    template_of,
    validate_template,
)

T = TypeVar("T")

HEALTH_REQUEST_TIMEOUT = 5.0
"""Seconds a health check or a model listing may wait for each answer."""
MODEL_FOLDERS = ("checkpoints", "loras", "vae", "upscale_models")
SAMPLING_CHOICES: dict[str, tuple[str, str]] = {
    "samplers": ("KSampler", "sampler_name"),
    "schedulers": ("KSampler", "scheduler"),
}
"""Lists read like model folders, from a node's choices in ``/object_info``."""
LISTS = (*MODEL_FOLDERS, *SAMPLING_CHOICES)


def _posix(name: str) -> str:
    return name.replace("\\", "/")


def _backend_spelling(name: str, available: list[str]) -> str | None:
    """``name`` as the server lists it, matching ``/`` and ``\\`` alike; None if absent."""
    if name in available:
        return name
    wanted = _posix(name)
    for candidate in available:
        if _posix(candidate) == wanted:
            return candidate
    return None


def _upscale_model_need(spec: GenerationSpec) -> list[ModelNeed]:
    """The hires pass's upscale model file, if it names one."""
    if spec.hires is None or not is_upscale_model(spec.hires.upscaler):
        return []
    return [ModelNeed("upscale_models", spec.hires.upscaler)]


class _ModelListCache:
    """Model lists per folder, and when the server last could not be reached."""

    def __init__(self, ttl: float, unreachable_retry: float) -> None:
        self._ttl = ttl
        self._unreachable_retry = unreachable_retry
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, list[str]]] = {}
        self._unreachable: tuple[float, str] | None = None

    def fresh(self, folder: str) -> list[str] | None:
        """The folder's cached files; None when stale; BackendUnavailable while the
        server counts as unreachable."""
        unreachable = self.recently_unreachable()
        if unreachable is not None:
            raise BackendUnavailable(unreachable)
        with self._lock:
            entry = self._entries.get(folder)
        if entry is None or time.monotonic() - entry[0] > self._ttl:
            return None
        return entry[1]

    def store(self, folder: str, files: list[str]) -> None:
        with self._lock:
            self._entries[folder] = (time.monotonic(), list(files))
            self._unreachable = None

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def mark_unreachable(self, detail: str) -> None:
        with self._lock:
            self._unreachable = (time.monotonic(), detail)

    def mark_reachable(self) -> None:
        with self._lock:
            self._unreachable = None

    def recently_unreachable(self) -> str | None:
        """Why the server was unreachable a moment ago, or None."""
        with self._lock:
            memo = self._unreachable
        if memo is None or time.monotonic() - memo[0] > self._unreachable_retry:
            return None
        return memo[1]


class ComfyUIEngine:
    """A ComfyUI server as a GAZE backend; ``name`` is its URL.

    ``timeout`` is the longest a prompt may go without any sign of progress before the
    backend counts as unavailable; ``connect_timeout`` and ``request_timeout`` bound each
    connection and HTTP call. ``workflow_template`` replaces the built-in text-to-image
    graph with a placeholder template (see ``gaze.workflow_templates``) for specs that
    carry none of their own.
    """

    capabilities = EngineCapabilities(runs_workflow_templates=True)

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 120.0,
        workflow_template: dict[str, Any] | None = None,
        connect_timeout: float = 3.0,
        request_timeout: float = 15.0,
        model_list_ttl: float = 10.0,
        unreachable_retry: float = 10.0,
        media_dir: Path | None = None,
    ) -> None:
        if workflow_template is not None:
            problems = validate_template(workflow_template)
            if problems:
                raise TemplateError(problems)
        self.name = url
        self.url = url.rstrip("/")
        self.media_dir = media_dir
        """Where a spec's init image and mask live (their paths are relative to it)."""
        self.workflow_template = workflow_template
        self.timeouts = Timeouts(
            connect=connect_timeout, request=request_timeout, no_progress=timeout
        )
        self._models = _ModelListCache(model_list_ttl, unreachable_retry)

    def __repr__(self) -> str:
        return f"ComfyUIEngine({self.url!r})"

    # -- Engine protocol -------------------------------------------------------------

    def checkpoints(self) -> list[str]:
        return [_posix(name) for name in self._listed("checkpoints")]

    def loras(self) -> list[str]:
        return [_posix(name) for name in self._listed("loras")]

    def vaes(self) -> list[str]:
        return [_posix(name) for name in self._listed("vae")]

    def upscale_models(self) -> list[str]:
        return [_posix(name) for name in self._listed("upscale_models")]

    def samplers(self) -> list[str]:
        return self._listed("samplers")

    def schedulers(self) -> list[str]:
        return self._listed("schedulers")

    def generate(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> GenerationResult:
        if cancel.cancelled:
            raise GenerationCancelled("cancelled before it started")
        try:
            return self._run(self._generate(spec, on_progress, cancel))
        except BackendUnavailable as error:
            self._models.mark_unreachable(str(error))
            raise

    def health(self) -> BackendHealth:
        try:
            health = self._run(self._health())
        except EngineError as error:
            self._models.mark_unreachable(str(error))
            return BackendHealth(up=False, queue_remaining=None, detail=str(error))
        self._models.mark_reachable()
        return health

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _run(work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(work)

    def _client(self, timeouts: Timeouts | None = None) -> ComfyUIClient:
        return ComfyUIClient(self.url, timeouts=timeouts or self.timeouts)

    def _quick_timeouts(self) -> Timeouts:
        return dataclasses.replace(
            self.timeouts, request=min(self.timeouts.request, HEALTH_REQUEST_TIMEOUT)
        )

    async def _health(self) -> BackendHealth:
        async with self._client(self._quick_timeouts()) as client:
            stats = await client.system_stats()
            remaining = await client.queue_remaining()
            try:
                last_graph = await client.last_prompt_graph()
            except BackendUnavailable:
                raise
            except EngineError:
                last_graph = None
        system = stats.get("system") or {}
        devices = stats.get("devices") or [{}]
        version = system.get("comfyui_version", "?")
        device = devices[0].get("name", "unknown device") if devices else "no device"
        last_checkpoint = loaded_checkpoint(last_graph) if last_graph is not None else None
        return BackendHealth(
            up=True,
            queue_remaining=remaining,
            detail=f"ComfyUI {version} on {device}",
            last_checkpoint=_posix(last_checkpoint) if last_checkpoint else None,
        )

    def _listed(self, folder: str) -> list[str]:
        """A folder's files from the cache, else from the server (all folders at once)."""
        files = self._models.fresh(folder)
        if files is not None:
            return files
        return self._run(self._list_all_folders())[folder]

    async def _list_all_folders(self) -> dict[str, list[str]]:
        async with self._client(self._quick_timeouts()) as client:
            listed = await asyncio.gather(*(self._model_files(client, folder) for folder in LISTS))
        return dict(zip(LISTS, listed, strict=True))

    async def _model_files(self, client: ComfyUIClient, folder: str) -> list[str]:
        files = self._models.fresh(folder)
        if files is not None:
            return files
        try:
            if folder in SAMPLING_CHOICES:
                files = await client.node_choices(*SAMPLING_CHOICES[folder])
            else:
                files = await client.model_files(folder)
        except BackendUnavailable as error:
            self._models.mark_unreachable(str(error))
            raise
        self._models.store(folder, files)
        return files

    def _template_for(self, spec: GenerationSpec) -> Template | None:
        own = template_of(spec)
        return own if own is not None else self.workflow_template

    def _model_needs(self, spec: GenerationSpec) -> list[ModelNeed]:
        template = self._template_for(spec)
        try:
            needs = model_needs(spec, template)
            if template is not None and template_models(template).uses_hires_upscaler:
                needs += _upscale_model_need(spec)
        except (KeyError, TypeError, AttributeError):
            return []  # a malformed template: filling it reports what is wrong
        return list(dict.fromkeys(needs))

    async def _resolve_models(
        self, client: ComfyUIClient, spec: GenerationSpec
    ) -> tuple[GenerationSpec, list[str]]:
        """``spec`` with model names in the server's spelling, and what the server lacks."""
        needs = self._model_needs(spec)
        listed: dict[str, list[str]] = {}
        try:
            for folder in {need.folder for need in needs}:
                listed[folder] = await self._model_files(client, folder)
        except BackendUnavailable:
            raise
        except EngineError:
            return spec, []  # cannot list models here; ComfyUI's validation will tell
        spelled: dict[tuple[str, str], str] = {}
        missing: list[str] = []
        for need in needs:
            found = _backend_spelling(need.name, listed[need.folder])
            if found is None:
                missing.append(need.describe())
            else:
                spelled[(need.folder, need.name)] = found
        resolved = dataclasses.replace(
            spec,
            checkpoint=spelled.get(("checkpoints", spec.checkpoint), spec.checkpoint),
            loras=tuple(
                LoraSpec(
                    spelled.get(("loras", lora.name), lora.name),
                    lora.model_weight,
                    lora.clip_weight,
                )
                for lora in spec.loras
            ),
            vae=spelled.get(("vae", spec.vae), spec.vae) if spec.vae else spec.vae,
        )
        if spec.hires is not None:
            upscaler = spec.hires.upscaler
            upscaler = spelled.get(("upscale_models", upscaler), upscaler)
            resolved = dataclasses.replace(
                resolved, hires=dataclasses.replace(spec.hires, upscaler=upscaler)
            )
        return resolved, missing

    def _graph(self, spec: GenerationSpec, uploads: UploadedImages) -> dict[str, Any]:
        template = self._template_for(spec)
        try:
            if template is None:
                return build_workflow(spec, uploads)
            return fill_template(template, spec, uploads)
        except (TemplateError, ValueError) as error:
            raise EngineError(str(error)) from error

    async def _generate(
        self, spec: GenerationSpec, on_progress: ProgressCallback, cancel: CancelToken
    ) -> GenerationResult:
        started = time.monotonic()
        async with self._client() as client:
            resolved, missing = await self._resolve_models(client, spec)
            if missing:
                raise ModelNotFound(f"ComfyUI at {self.url} does not have {', '.join(missing)}")
            files = await asyncio.to_thread(prepared_uploads, spec, self.media_dir)
            if cancel.cancelled:
                raise GenerationCancelled("cancelled before it was queued")
            uploads = await upload_inputs(client, files)
            try:
                result = await run_prompt(
                    client,
                    self._graph(resolved, uploads),
                    on_progress=on_progress,
                    cancel_requested=lambda: cancel.cancelled,
                )
            except ModelNotFound:
                self._models.forget()  # the server's validation knows better than our lists
                raise
        try:
            image = Image.open(io.BytesIO(result.data))
            image.load()
        except (UnidentifiedImageError, OSError) as error:
            raise EngineError(
                f"ComfyUI at {self.url} returned an image GAZE cannot read "
                f"({result.image.filename})"
            ) from error
        return GenerationResult(
            image=image,
            backend=self.name,
            info={
                "prompt_id": result.prompt_id,
                "comfyui_image": result.image.query(),
                "completed_via": result.completed_via,
                "seconds": round(time.monotonic() - started, 3),
            },
        )
