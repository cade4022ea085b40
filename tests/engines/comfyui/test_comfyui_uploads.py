"""POST /upload/image between ComfyUIClient and the stand-in, as ComfyUI's server.py answers it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from PIL import Image

from gaze.engines.base import BackendUnavailable, EngineError
from gaze.engines.comfyui.client import ComfyUIClient
from gaze.engines.comfyui.uploads import png_bytes, upload_name
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory

RED = png_bytes(Image.new("RGB", (64, 48), (200, 10, 10)))
BLUE = png_bytes(Image.new("RGB", (64, 48), (10, 10, 200)))


def upload(standin: ComfyUIStandIn, data: bytes, name: str) -> str:
    async def run() -> str:
        async with ComfyUIClient(standin.url) as client:
            return await client.upload_image(data, name)

    return asyncio.run(run())


def raw_upload(standin: ComfyUIStandIn, **request: Any) -> httpx.Response:
    return httpx.post(f"{standin.url}/upload/image", trust_env=False, **request)


def view_input(standin: ComfyUIStandIn, name: str) -> httpx.Response:
    return httpx.get(
        f"{standin.url}/view", params={"filename": name, "type": "input"}, trust_env=False
    )


def test_an_upload_round_trips_under_its_content_name(standin: ComfyUIStandIn) -> None:
    name = upload_name(RED)
    assert name.startswith("gaze_") and name.endswith(".png") and len(name) == 5 + 64 + 4
    assert upload(standin, RED, name) == name
    stored = view_input(standin, name)
    assert stored.status_code == 200 and stored.content == RED
    state = httpx.get(f"{standin.url}/_standin/state", trust_env=False).json()
    assert state["input_files"] == [name]


def test_a_repeat_lands_on_the_same_file(standin: ComfyUIStandIn) -> None:
    name = upload_name(RED)
    assert upload(standin, RED, name) == upload(standin, RED, name) == name
    state = httpx.get(f"{standin.url}/_standin/state", trust_env=False).json()
    assert state["input_files"] == [name]


def test_the_client_overwrites_a_file_of_its_name(standin: ComfyUIStandIn) -> None:
    upload(standin, BLUE, "taken.png")
    assert upload(standin, RED, "taken.png") == "taken.png"
    assert view_input(standin, "taken.png").content == RED


def test_without_overwrite_comfyui_renames_other_bytes_and_keeps_identical_ones(
    standin: ComfyUIStandIn,
) -> None:
    def post(data: bytes) -> dict[str, str]:
        response = raw_upload(standin, files={"image": ("pic.png", data, "image/png")})
        assert response.status_code == 200
        return response.json()

    assert post(RED) == {"name": "pic.png", "subfolder": "", "type": "input"}
    assert post(RED)["name"] == "pic.png"
    assert post(BLUE)["name"] == "pic (1).png"
    assert view_input(standin, "pic.png").content == RED
    assert view_input(standin, "pic (1).png").content == BLUE


@pytest.mark.parametrize(
    "request_parts",
    [
        {"data": {"type": "input"}},
        {"files": {"file": ("pic.png", RED, "image/png")}},
        {"files": {"image": ("", RED, "image/png")}},
        {"files": {"image": ("pic.png", RED, "image/png")}, "data": {"subfolder": "../x"}},
        {"json": {"image": "pic.png"}},
    ],
)
def test_uploads_without_a_usable_image_field_are_refused_with_a_bare_400(
    standin: ComfyUIStandIn, request_parts: dict[str, object]
) -> None:
    response = raw_upload(standin, **request_parts)
    assert (response.status_code, response.content) == (400, b"")


def test_an_upload_lists_in_load_image_and_passes_its_validation(
    standin: ComfyUIStandIn,
) -> None:
    upload(standin, RED, "shown.png")
    info = httpx.get(f"{standin.url}/object_info/LoadImage", trust_env=False).json()
    listed = info["LoadImage"]["input"]["required"]["image"]
    assert listed == [["shown.png"], {"image_upload": True}]
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "shown.png"}},
        "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
    }
    accepted = httpx.post(f"{standin.url}/prompt", json={"prompt": graph}, trust_env=False)
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize(
    ("status", "error"), [(400, EngineError), (413, EngineError), (500, BackendUnavailable)]
)
def test_a_failed_upload_is_a_clear_engine_error(
    standin_factory: StandInFactory, status: int, error: type[EngineError]
) -> None:
    standin = standin_factory(upload_status=status)
    with pytest.raises(error, match=rf"(refused to store the image x\.png|HTTP {status})"):
        upload(standin, RED, "x.png")


def test_an_unreachable_server_is_unavailable(closed_port_url: str) -> None:
    async def run() -> str:
        async with ComfyUIClient(closed_port_url) as client:
            return await client.upload_image(RED, "x.png")

    with pytest.raises(BackendUnavailable, match="cannot reach"):
        asyncio.run(run())
