"""`prompt_weighting` through the presets and checkpoints API of a real `gaze serve`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from devkit.server import GazeServer

DEMO = "gaze-demo-sd15-tiny.safetensors"


@pytest.fixture
def api(server: GazeServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers=server.headers, timeout=60
    ) as client:
        yield client


def _weighting_of(api: httpx.Client, slug: str) -> str:
    answer = api.post(f"/presets/{slug}/resolve", json={"seed": 5})
    assert answer.status_code == 200, answer.text
    weighting: str = answer.json()["spec"]["prompt_weighting"]
    return weighting


def test_a_preset_keeps_its_weighting_and_resolves_with_it(api: httpx.Client) -> None:
    preset_id = f"weighting_{uuid.uuid4().hex[:8]}"
    document = {"id": preset_id, "name": "Weighting", "checkpoint": DEMO, "positive": "(sky:1.2)"}
    created = api.post("/presets", json={**document, "prompt_weighting": "a1111"})
    assert created.status_code == 201, created.text
    assert created.json()["prompt_weighting"] == "a1111"
    assert api.get(f"/presets/{preset_id}").json()["prompt_weighting"] == "a1111"
    assert _weighting_of(api, preset_id) == "a1111"

    cleared = api.patch(f"/presets/{preset_id}", json={"prompt_weighting": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["prompt_weighting"] is None
    assert _weighting_of(api, preset_id) == "comfyui"

    refused = api.put(f"/presets/{preset_id}", json={**document, "prompt_weighting": "foo"})
    assert refused.status_code == 400, refused.text
    assert "prompt_weighting: Input should be 'comfyui' or 'a1111'" in refused.json()["error"]
    assert api.get(f"/presets/{preset_id}").json()["prompt_weighting"] is None
    api.delete(f"/presets/{preset_id}")


def test_a_checkpoint_weighting_applies_to_presets_that_leave_it_open(api: httpx.Client) -> None:
    preset_id = f"open_{uuid.uuid4().hex[:8]}"
    created = api.post("/presets", json={"id": preset_id, "name": "Open", "checkpoint": DEMO})
    assert created.status_code == 201, created.text
    assert api.get(f"/checkpoints/{DEMO}").json()["settings"]["prompt_weighting"] is None
    try:
        patched = api.patch(f"/checkpoints/{DEMO}", json={"prompt_weighting": "a1111"})
        assert patched.status_code == 200, patched.text
        assert patched.json()["settings"]["prompt_weighting"] == "a1111"
        assert _weighting_of(api, preset_id) == "a1111"
        api.patch(f"/presets/{preset_id}", json={"prompt_weighting": "comfyui"})
        assert _weighting_of(api, preset_id) == "comfyui"
        refused = api.patch(f"/checkpoints/{DEMO}", json={"prompt_weighting": "foo"})
        assert refused.status_code == 400, refused.text
        assert "prompt_weighting: Input should be 'comfyui' or 'a1111'" in refused.json()["error"]
    finally:
        api.patch(f"/checkpoints/{DEMO}", json={"prompt_weighting": None})
        api.delete(f"/presets/{preset_id}")
    assert api.get(f"/checkpoints/{DEMO}").json()["settings"]["prompt_weighting"] is None
