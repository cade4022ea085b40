"""The one interface every backend implements, what it declares it can run, and its errors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image

from gaze.generation_spec import DEFAULT_PROMPT_WEIGHTING, GenerationSpec

ProgressCallback = Callable[[float], None]
"""Called with the fraction done, 0.0 to 1.0, as sampling advances."""


class EngineError(Exception):
    """A generation failed; the message is shown to the user as the job's error."""


class ModelNotFound(EngineError):
    """The spec names a checkpoint, LoRA or VAE the backend does not have."""


class BackendUnavailable(EngineError):
    """The backend cannot be reached or died mid-job; the job may be retried elsewhere."""


class GenerationCancelled(EngineError):
    """The job was cancelled while it ran."""


class CancelToken:
    """Set from another thread to ask a running generation to stop at its next step."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class EngineCapabilities:
    """What a backend declares it can run, beyond the model files it lists."""

    prompt_weightings: tuple[str, ...] = (DEFAULT_PROMPT_WEIGHTING,)
    """How it can weigh ``(word:1.2)`` emphasis (see ``GenerationSpec.prompt_weighting``)."""
    runs_workflow_templates: bool = False
    """Whether it runs specs carrying a custom workflow (``spec.workflow_template``)."""


@dataclass(frozen=True)
class BackendHealth:
    """What a backend's ``health()`` reports."""

    up: bool
    queue_remaining: int | None
    detail: str
    last_checkpoint: str | None = None
    """The checkpoint of the last prompt the backend finished, if it can tell."""


@dataclass
class GenerationResult:
    image: Image.Image
    backend: str
    info: dict[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    """A backend. `name` is what jobs record as their backend (``local`` or a URL)."""

    name: str
    capabilities: EngineCapabilities

    def health(self) -> BackendHealth:
        """Whether the backend can take jobs now (an unreachable one reports ``up=False``)."""
        ...

    def checkpoints(self) -> list[str]:
        """Checkpoint names this backend can load, relative posix paths."""
        ...

    def loras(self) -> list[str]:
        """LoRA file names this backend can load, relative posix paths."""
        ...

    def vaes(self) -> list[str]:
        """VAE file names this backend can load, relative posix paths."""
        ...

    def upscale_models(self) -> list[str]:
        """Upscale model files (ESRGAN family, ``.pth``/``.safetensors``), relative posix paths."""
        ...

    def samplers(self) -> list[str]:
        """Sampler names (ComfyUI's) this backend runs."""
        ...

    def schedulers(self) -> list[str]:
        """Scheduler names (ComfyUI's) this backend runs."""
        ...

    def generate(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> GenerationResult:
        """Run one generation; raise an EngineError subclass on failure."""
        ...
