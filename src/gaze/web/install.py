"""Adding the web UI to the application: its assets, its pages and their error pages.

Editors come before the pages they share a prefix with: ``/presets/new`` must be matched
before ``/presets/{slug}``, and ``/library/wordlists`` before ``/library/{category}``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gaze.library.json_input import MAX_FILE_BYTES
from gaze.web.cover_upload import MAX_UPLOAD_BYTES
from gaze.web.page_errors import install_page_error_handlers
from gaze.web.pages import (
    checkpoints,
    events,
    gallery,
    generate,
    generator,
    grids,
    image_refine,
    library,
    library_drafts,
    library_editor,
    library_move,
    library_preview,
    login,
    pnginfo,
    preset_editor,
    preset_generation,
    presets,
    queue,
    search,
    settings,
    tag_completion,
    wildcard_preview,
    wordlists,
)

MAX_PAGE_BODY_BYTES = max(MAX_UPLOAD_BYTES, MAX_FILE_BYTES) + 1024 * 1024
"""The largest UI request body: a cover upload (or a library import) plus its form."""

PAGE_MODULES = (
    login,
    preset_editor,
    presets,
    preset_generation,
    generate,
    generator,
    wordlists,
    wildcard_preview,
    tag_completion,
    library_drafts,
    library_editor,
    library_preview,
    library_move,
    library,
    checkpoints,
    gallery,
    image_refine,
    grids,
    queue,
    search,
    pnginfo,
    settings,
    events,
)


def install_web_ui(app: FastAPI) -> None:
    """Mount /assets and every UI page; the /api/v1 routes are not touched."""
    app.mount("/assets", StaticFiles(directory=Path(__file__).parent / "static"), name="assets")
    for module in PAGE_MODULES:
        app.include_router(module.router)
    install_page_error_handlers(app)
