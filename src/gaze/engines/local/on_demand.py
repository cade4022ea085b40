"""The embedded engine as `GAZE_BACKENDS=local` builds it: listed from its model folders and
pure data, and loaded (torch, diffusers) only when it runs its first job.

An API-only process (`gaze serve --no-worker`) lists the embedded backend's checkpoints, LoRAs,
samplers and schedulers to validate requests and fill the UI's choices, but never generates:
it must not pay torch's memory and start-up time for that (issue 18).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from gaze.engines.base import (
    BackendHealth,
    CancelToken,
    EngineError,
    GenerationResult,
    ProgressCallback,
)
from gaze.engines.local.model_files import LOCAL_CAPABILITIES, LOCAL_ENGINE_NAME, LocalModelFolders
from gaze.generation_spec import GenerationSpec
from gaze.sampling.names import COMFYUI_SAMPLER_ORDER, SCHEDULER_NAMES

if TYPE_CHECKING:
    from gaze.engines.local.engine import LocalEngine

LOCAL_SAMPLER_NAMES: tuple[str, ...] = COMFYUI_SAMPLER_ORDER
"""The samplers the embedded engine runs: all of ComfyUI's (tests check that the sampling
core's registry has each one, in this order)."""

MISSING_EXTRA = (
    "the embedded engine needs torch and diffusers, which are not installed here "
    "(pip install 'gaze[local]'): {error}"
)


class OnDemandLocalEngine(LocalModelFolders):
    """A :class:`LocalEngine` built on the first `generate`; until then its listings and
    health come from the model folders and pure data, without importing torch."""

    name = LOCAL_ENGINE_NAME
    capabilities = LOCAL_CAPABILITIES

    def __init__(
        self,
        models_dir: Path,
        cache_dir: Path,
        *,
        device: str | None = None,
        threads: int | None = None,
        cache_size: int | None = None,
        media_dir: Path | None = None,
    ) -> None:
        super().__init__(models_dir)
        self.cache_dir = Path(cache_dir)
        self.device = device
        self.threads = threads
        self.cache_size = cache_size
        self.media_dir = media_dir
        self._engine: LocalEngine | None = None
        self._building = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the real engine (and with it torch) has been built in this process."""
        return self._engine is not None

    def health(self) -> BackendHealth:
        """Up while this process runs, as :meth:`LocalEngine.health` reports."""
        return BackendHealth(up=True, queue_remaining=None, detail="")

    def samplers(self) -> list[str]:
        return list(LOCAL_SAMPLER_NAMES)

    def schedulers(self) -> list[str]:
        return list(SCHEDULER_NAMES)

    def generate(
        self,
        spec: GenerationSpec,
        on_progress: ProgressCallback,
        cancel: CancelToken,
    ) -> GenerationResult:
        return self.engine().generate(spec, on_progress, cancel)

    def engine(self) -> LocalEngine:
        """The real engine, built (importing torch and diffusers) on the first call."""
        with self._building:
            if self._engine is None:
                self._engine = self._build()
            return self._engine

    def _build(self) -> LocalEngine:
        try:
            from gaze.engines.local.engine import LocalEngine
        except ImportError as error:
            raise EngineError(MISSING_EXTRA.format(error=error)) from error
        return LocalEngine(
            models_dir=self.models_dir,
            cache_dir=self.cache_dir,
            device=self.device,
            threads=self.threads,
            cache_size=self.cache_size,
            media_dir=self.media_dir,
        )
