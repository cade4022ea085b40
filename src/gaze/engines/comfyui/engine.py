"""ComfyUIEngine: the Engine protocol over one ComfyUI server.

Synchronous by contract (the caller is a worker thread): each call runs the async client
in an event loop of its own. Model lists are cached for ``model_list_ttl`` seconds and
used both for the preflight ``missing_models`` and to send model names spelled the way
the server spells them (a Windows ComfyUI lists ``sdxl\\model.safetensors``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from PIL import Image, UnidentifiedImageError

from gaze.engines.base import (
    BackendUnavailable,
    CancelToken,
    EngineError,
    GenerationCancelled,
    GenerationResult,
    ModelNotFound,
    ProgressCallback,
)
from gaze.engines.comfyui.client import ComfyUIClient, Timeouts
from gaze.engines.comfyui.templates import (
    PLACEHOLDER,
    TemplateError,
    fill_template,
    loras_marker_node,
    validate_template,
)
from gaze.engines.comfyui.workflow import build_workflow
from gaze.engines.pool import BackendHealth
from gaze.generation_spec import GenerationSpec, LoraSpec

T = TypeVar("T")

HEALTH_REQUEST_TIMEOUT = 5.0


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


class _ModelListCache:
    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, list[str]]] = {}

    def fresh(self, folder: str) -> list[str] | None:
        with self._lock:
            entry = self._entries.get(folder)
        if entry is None or time.monotonic() - entry[0] > self._ttl:
            return None
        return entry[1]

    def store(self, folder: str, files: list[str]) -> None:
        with self._lock:
            self._entries[folder] = (time.monotonic(), list(files))


@dataclasses.dataclass(frozen=True)
class _ModelNeed:
    label: str
    folder: str
    name: str


class ComfyUIEngine:
    """A ComfyUI server as a GAZE backend; ``name`` is its URL.

    ``timeout`` is the longest a prompt may go without any sign of progress before the
    backend counts as unavailable; ``connect_timeout`` and ``request_timeout`` bound each
    connection and HTTP call. ``workflow_template`` replaces the built-in text-to-image
    graph with a placeholder template (see ``gaze.engines.comfyui.templates``).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 120.0,
        workflow_template: dict[str, Any] | None = None,
        connect_timeout: float = 3.0,
        request_timeout: float = 15.0,
        model_list_ttl: float = 10.0,
    ) -> None:
        if workflow_template is not None:
            problems = validate_template(workflow_template)
            if problems:
                raise TemplateError(problems)
        self.name = url
        self.url = url.rstrip("/")
        self.workflow_template = workflow_template
        self.timeouts = Timeouts(
            connect=connect_timeout, request=request_timeout, no_progress=timeout
        )
        self._models = _ModelListCache(model_list_ttl)

    def __repr__(self) -> str:
        return f"ComfyUIEngine({self.url!r})"

    # -- Engine protocol -------------------------------------------------------------

    def checkpoints(self) -> list[str]:
        return [_posix(name) for name in self._run(self._model_files_once("checkpoints"))]

    def loras(self) -> list[str]:
        return [_posix(name) for name in self._run(self._model_files_once("loras"))]

    def vaes(self) -> list[str]:
        return [_posix(name) for name in self._run(self._model_files_once("vae"))]

    def generate(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> GenerationResult:
        if cancel.cancelled:
            raise GenerationCancelled("cancelled before it started")
        return self._run(self._generate(spec, on_progress, cancel))

    # -- preflight and health --------------------------------------------------------

    def missing_models(self, spec: GenerationSpec) -> list[str]:
        """What ``spec`` names that this server lacks, e.g. ``["checkpoint 'a.safetensors'"]``.

        Uses the model lists cached for a few seconds; empty when the server cannot list
        its models (the prompt's own validation will then report them)."""
        return self._run(self._missing_models_once(spec))

    def health(self) -> BackendHealth:
        try:
            return self._run(self._health())
        except EngineError as error:
            return BackendHealth(up=False, queue_remaining=None, detail=str(error))

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _run(work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(work)

    def _client(self, timeouts: Timeouts | None = None) -> ComfyUIClient:
        return ComfyUIClient(self.url, timeouts=timeouts or self.timeouts)

    async def _health(self) -> BackendHealth:
        timeouts = dataclasses.replace(
            self.timeouts, request=min(self.timeouts.request, HEALTH_REQUEST_TIMEOUT)
        )
        async with self._client(timeouts) as client:
            stats = await client.system_stats()
            remaining = await client.queue_remaining()
        system = stats.get("system") or {}
        devices = stats.get("devices") or [{}]
        version = system.get("comfyui_version", "?")
        device = devices[0].get("name", "unknown device") if devices else "no device"
        return BackendHealth(
            up=True, queue_remaining=remaining, detail=f"ComfyUI {version} on {device}"
        )

    async def _model_files_once(self, folder: str) -> list[str]:
        async with self._client() as client:
            return await self._model_files(client, folder)

    async def _model_files(self, client: ComfyUIClient, folder: str) -> list[str]:
        files = self._models.fresh(folder)
        if files is None:
            files = await client.model_files(folder)
            self._models.store(folder, files)
        return files

    def _model_needs(self, spec: GenerationSpec) -> list[_ModelNeed]:
        template = self.workflow_template
        uses_checkpoint = template is None or any(
            "checkpoint" in PLACEHOLDER.findall(value)
            for node in template.values()
            for value in node["inputs"].values()
            if isinstance(value, str)
        )
        uses_loras = template is None or loras_marker_node(template) is not None
        needs: list[_ModelNeed] = []
        if uses_checkpoint:
            needs.append(_ModelNeed("checkpoint", "checkpoints", spec.checkpoint))
        if uses_loras:
            needs += [_ModelNeed("LoRA", "loras", lora.name) for lora in spec.loras]
        if template is None and spec.vae:
            needs.append(_ModelNeed("VAE", "vae", spec.vae))
        return needs

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
                missing.append(f"{need.label} '{need.name}'")
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
        return resolved, missing

    async def _missing_models_once(self, spec: GenerationSpec) -> list[str]:
        async with self._client() as client:
            return (await self._resolve_models(client, spec))[1]

    def _graph(self, spec: GenerationSpec) -> dict[str, Any]:
        if self.workflow_template is None:
            return build_workflow(spec)
        try:
            return fill_template(self.workflow_template, spec)
        except TemplateError as error:
            raise EngineError(str(error)) from error

    async def _generate(
        self, spec: GenerationSpec, on_progress: ProgressCallback, cancel: CancelToken
    ) -> GenerationResult:
        started = time.monotonic()
        async with self._client() as client:
            resolved, missing = await self._resolve_models(client, spec)
            if missing:
                raise ModelNotFound(f"ComfyUI at {self.url} does not have {', '.join(missing)}")
            result = await client.run(
                self._graph(resolved),
                on_progress=on_progress,
                cancel_requested=lambda: cancel.cancelled,
            )
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
