"""Building the configured backends from `GAZE_BACKENDS`."""

from __future__ import annotations

from gaze.engines.base import Engine
from gaze.settings import Settings

LOCAL_BACKEND = "local"


class UnknownBackend(ValueError):
    pass


def build_engine(name: str, settings: Settings) -> Engine:
    if name == LOCAL_BACKEND:
        from gaze.engines.local.engine import LocalEngine

        return LocalEngine(
            models_dir=settings.resolved_models_dir,
            cache_dir=settings.cache_dir,
            device=settings.device,
            threads=settings.cpu_threads,
        )
    if name.startswith(("http://", "https://")):
        from gaze.engines.comfyui.engine import ComfyUIEngine

        return ComfyUIEngine(name)
    raise UnknownBackend(
        f"unknown backend {name!r} in GAZE_BACKENDS: use 'local' or a ComfyUI URL (http://host:8188)"
    )


def build_engines(settings: Settings) -> list[Engine]:
    return [build_engine(name, settings) for name in settings.backend_names]
