"""The ASGI application: REST API, web UI, image files, and the in-process worker."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gaze import __version__
from gaze.api.errors import install_error_handlers
from gaze.api.fast_poll import JobPollFastPath
from gaze.api.request_limits import RequestBodyLimits
from gaze.api.schemas import install_openapi_examples
from gaze.api.v1 import (
    backends,
    batches,
    checkpoints,
    drafts,
    events,
    generate,
    grids,
    images,
    jobs,
    keys,
    library,
    library_moves,
    pnginfo,
    presets,
    strength_sweeps,
    tags,
    uploads,
)
from gaze.jobs.worker import Worker
from gaze.runtime import Runtime
from gaze.security.allowed_hosts import AllowedHosts, HostCheck
from gaze.security.failed_keys import FailedKeyLimiter
from gaze.web import thumbnail_files
from gaze.web.api_docs import install_api_docs
from gaze.web.install import MAX_PAGE_BODY_BYTES, install_web_ui

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(runtime: Runtime, *, with_worker: bool) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = Worker(runtime, embedded=True) if with_worker else None
        if worker:
            worker.start()
        gc.collect()
        gc.freeze()  # keep full collections off the large, long-lived torch/diffusers heap
        try:
            yield
        finally:
            if worker:
                worker.stop()
            runtime.close()

    app = FastAPI(
        title="GAZE",
        version=__version__,
        summary="Preset-driven image generation server",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.failed_keys = FailedKeyLimiter(runtime.settings.auth_failure_limit)
    install_error_handlers(app)
    install_openapi_examples(app)
    app.add_middleware(
        RequestBodyLimits,
        page_max_bytes=MAX_PAGE_BODY_BYTES,
        timeout=runtime.settings.body_timeout_seconds,
    )
    # added last, so it runs first: a request for a host GAZE does not answer to is not routed
    allowed_hosts = AllowedHosts.for_settings(runtime.settings)
    app.add_middleware(HostCheck, allowed=allowed_hosts)
    # outermost: polls of finished jobs answered from memory, with the same host check
    app.add_middleware(
        JobPollFastPath, keys=runtime.keys, poller=runtime.jobs.poller, allowed=allowed_hosts
    )
    for module in (
        presets,
        generate,
        grids,
        strength_sweeps,
        uploads,
        pnginfo,
        jobs,
        batches,
        images,
        events,
        backends,
        drafts,
        library,
        library_moves,
        checkpoints,
        tags,
        keys,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    media_dir = runtime.settings.resolved_media_dir
    media_dir.mkdir(parents=True, exist_ok=True)
    app.include_router(thumbnail_files.router)  # /static/thumbs, before any /static mount
    app.mount("/static/uploads", StaticFiles(directory=media_dir), name="uploads")
    install_web_ui(app)
    install_api_docs(app, f"{API_PREFIX}/openapi.json")
    return app
