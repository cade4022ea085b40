"""GAZE_BACKENDS -> engines: ComfyUI URLs, local, and lists that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.engines.registry import InvalidBackendList, UnknownBackend, build_engines
from gaze.settings import Settings


def engines_for(backends: str, tmp_path: Path) -> list[object]:
    return list(build_engines(Settings(data_dir=tmp_path, backends=backends)))


def test_urls_become_comfyui_engines_named_by_url(tmp_path: Path) -> None:
    engines = engines_for(" http://10.0.0.5:8188/ , https://gpu.example/comfy", tmp_path)
    assert [type(engine) for engine in engines] == [ComfyUIEngine, ComfyUIEngine]
    assert [engine.name for engine in engines] == [  # type: ignore[attr-defined]
        "http://10.0.0.5:8188",
        "https://gpu.example/comfy",
    ]


def test_local_mixes_with_urls(tmp_path: Path) -> None:
    local, comfy = engines_for("local,http://127.0.0.1:8188", tmp_path)
    assert local.name == "local"  # type: ignore[attr-defined]
    assert isinstance(comfy, ComfyUIEngine)


@pytest.mark.parametrize("backends", ["comfy:8188", "ftp://host", "127.0.0.1:8188"])
def test_an_unknown_backend_is_refused_with_a_hint(backends: str, tmp_path: Path) -> None:
    with pytest.raises(UnknownBackend, match="use 'local' or a ComfyUI URL"):
        engines_for(backends, tmp_path)


def test_a_url_without_host_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownBackend, match="has no host name"):
        engines_for("http:///comfy", tmp_path)


def test_a_backend_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidBackendList, match="'http://a:8188' more than once"):
        engines_for("http://a:8188,local,http://a:8188/", tmp_path)


def test_an_empty_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidBackendList, match="GAZE_BACKENDS is empty"):
        engines_for(" , ", tmp_path)
