"""Images are served without auth, with no listing and no way out of the media folder."""

from __future__ import annotations

import os

import httpx

from devkit.server import GazeServer


def test_no_directory_listing(server: GazeServer) -> None:
    for path in ("/static/uploads/", "/static/uploads/presets", "/static/uploads/presets/"):
        assert httpx.get(f"{server.url}{path}").status_code == 404


def test_no_path_traversal(server: GazeServer) -> None:
    for path in (
        "/static/uploads/../gaze.db",
        "/static/uploads/..%2fgaze.db",
        "/static/uploads/%2e%2e/gaze.db",
        "/static/uploads/presets/..%2f..%2fgaze.db",
    ):
        response = httpx.get(f"{server.url}{path}")
        assert response.status_code == 404, path
        assert b"SQLite" not in response.content


def test_symlinks_out_of_the_media_folder_are_not_served(server: GazeServer) -> None:
    link = server.data_dir / "uploads" / "escape.db"
    os.symlink(server.data_dir / "gaze.db", link)
    try:
        response = httpx.get(f"{server.url}/static/uploads/escape.db")
        assert response.status_code == 404
    finally:
        link.unlink()
