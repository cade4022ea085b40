"""Building the configured backends from `GAZE_BACKENDS`.

The variable is a comma-separated list of ``local`` (the embedded engine) and ComfyUI
base URLs (``http://host:8188``, ``https://…``, a path prefix is kept for servers behind
a reverse proxy). Each backend runs one job at a time, so a backend may be listed once.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gaze.engines.base import Engine
from gaze.settings import Settings

LOCAL_BACKEND = "local"


class UnknownBackend(ValueError):
    """GAZE_BACKENDS names something that is neither ``local`` nor a ComfyUI URL."""


class InvalidBackendList(ValueError):
    """GAZE_BACKENDS as a whole cannot be used (empty, or a backend listed twice)."""


def build_engine(name: str, settings: Settings) -> Engine:
    if name == LOCAL_BACKEND:
        from gaze.engines.local.on_demand import OnDemandLocalEngine

        # torch and diffusers load with the first job, not here: an API-only process lists
        # the embedded backend's models without them
        return OnDemandLocalEngine(
            models_dir=settings.resolved_models_dir,
            cache_dir=settings.cache_dir,
            device=settings.device,
            threads=settings.cpu_threads,
            cache_size=settings.engine_cache,
            media_dir=settings.resolved_media_dir,
        )
    if name.startswith(("http://", "https://")):
        if not urlsplit(name).hostname:
            raise UnknownBackend(f"backend {name!r} in GAZE_BACKENDS has no host name")
        from gaze.engines.comfyui.engine import ComfyUIEngine

        return ComfyUIEngine(
            name, timeout=settings.comfyui_timeout, media_dir=settings.resolved_media_dir
        )
    raise UnknownBackend(
        f"unknown backend {name!r} in GAZE_BACKENDS: use 'local' or a ComfyUI URL (http://host:8188)"
    )


def build_engines(settings: Settings) -> list[Engine]:
    names = settings.backend_names
    if not names:
        raise InvalidBackendList(
            "GAZE_BACKENDS is empty: give 'local' and/or ComfyUI URLs, comma-separated"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InvalidBackendList(
            f"GAZE_BACKENDS lists {', '.join(repr(name) for name in twice)} more than once; "
            "each backend runs one job at a time, so list it once"
        )
    return [build_engine(name, settings) for name in names]
