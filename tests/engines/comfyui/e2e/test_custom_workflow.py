"""A preset carrying a custom ComfyUI workflow: validated when saved, used when generating."""

from __future__ import annotations

from typing import Any

from tests.comfyui_standin import StandInFactory
from tests.engines.comfyui.e2e.gaze_calls import (
    finished_jobs,
    gaze_chunk,
    png_of,
    queue_generation,
    sent_graphs,
)
from tests.engines.comfyui.e2e.library_setup import DEMO
from tests.support.gaze_servers import GazeFactory
from tests.support.template_examples import text_to_image_template


def _preset(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "custom_flow",
        "name": "Custom flow",
        "checkpoint": DEMO,
        "positive": "lighthouse at dusk",
        "negative": "blurry",
        "width": 64,
        "height": 64,
        "workflow_template": template,
    }


def test_a_broken_template_is_refused_when_saved(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models={"checkpoints": [DEMO]})
    server = gaze_with(comfy.url)
    broken = text_to_image_template()
    broken["3"]["inputs"]["seed"] = "{{sead}}"
    response = server.post("/api/v1/presets", json=_preset(broken))
    assert response.status_code == 400, response.text
    assert "workflow_template" in response.json()["error"]
    assert "sead" in response.json()["error"]
    assert server.get("/api/v1/presets/custom_flow").status_code == 404


def test_a_preset_template_is_filled_and_run_on_comfyui(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models={"checkpoints": [DEMO], "loras": [], "vae": []})
    server = gaze_with(comfy.url)
    template = text_to_image_template()
    created = server.post("/api/v1/presets", json=_preset(template))
    assert created.status_code == 201, created.text

    [job] = finished_jobs(server, queue_generation(server, "custom_flow", seed=77))
    assert job["status"] == "done", job
    [graph] = sent_graphs(comfy)
    assert set(graph) == set(template) - {
        node for node, body in template.items() if body["inputs"].get("lora_name") == "{{loras}}"
    }
    texts = [body["inputs"].get("text") for body in graph.values() if "text" in body["inputs"]]
    assert any("lighthouse at dusk" in text for text in texts)
    seeds = [body["inputs"]["seed"] for body in graph.values() if "seed" in body["inputs"]]
    assert seeds == [77]
    assert gaze_chunk(png_of(server, job))["spec"]["workflow_template"] == template
