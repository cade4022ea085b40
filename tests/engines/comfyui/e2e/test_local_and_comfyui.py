"""`GAZE_BACKENDS=local,<ComfyUI>`: the embedded engine and a ComfyUI server side by side."""

from __future__ import annotations

from typing import Any

from PIL import Image

from tests.comfyui_standin import StandInFactory
from tests.engines.comfyui.e2e.gaze_calls import (
    IMAGE_URL,
    backends_by_name,
    finished_jobs,
    gaze_chunk,
    is_standin_picture,
    png_of,
    queue_generation,
    sent_graphs,
)
from tests.engines.comfyui.e2e.library_setup import DEMO, SDXL
from tests.support.gaze_servers import GazeFactory


def parameter_names(image: Image.Image) -> list[str]:
    """The names of the settings line of an A1111 ``parameters`` chunk, in order."""
    settings = image.info["parameters"].splitlines()[-1]
    return [part.split(":", 1)[0] for part in settings.split(", ")]


def chunk_shape(chunk: dict[str, Any]) -> dict[str, Any]:
    return {key: sorted(value) if isinstance(value, dict) else None for key, value in chunk.items()}


def test_jobs_go_where_their_checkpoint_is_and_images_are_saved_alike(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models={"checkpoints": [SDXL]})  # the demo checkpoint is local only
    server = gaze_with("local", comfy.url)
    states = backends_by_name(server)
    assert states["local"]["up"] is True and states["local"]["queue_remaining"] is None
    assert states[comfy.url]["up"] is True

    sdxl_ids = queue_generation(server, "comfy_sdxl", count=2, seed=80)
    demo_ids = queue_generation(server, "comfy_demo", seed=80)
    sdxl_jobs = finished_jobs(server, sdxl_ids, timeout=120)
    demo_jobs = finished_jobs(server, demo_ids, timeout=300)
    for job in sdxl_jobs + demo_jobs:
        assert job["status"] == "done", job
        assert IMAGE_URL.match(job["result"]["image_url"])
    assert {job["backend"] for job in sdxl_jobs} == {comfy.url}
    assert {job["backend"] for job in demo_jobs} == {"local"}
    assert [graph["4"]["inputs"]["ckpt_name"] for graph in sent_graphs(comfy)] == [SDXL, SDXL]

    from_comfy = png_of(server, sdxl_jobs[0])
    from_local = png_of(server, demo_jobs[0])
    assert is_standin_picture(from_comfy, 80, 128, 128)
    assert not is_standin_picture(from_local, 80, 128, 128)
    assert from_local.size == from_comfy.size == (128, 128)
    # The same two chunks, with the same fields, whichever backend made the picture.
    assert parameter_names(from_comfy) == parameter_names(from_local)
    comfy_chunk, local_chunk = gaze_chunk(from_comfy), gaze_chunk(from_local)
    assert chunk_shape(comfy_chunk) == chunk_shape(local_chunk)
    assert (comfy_chunk["backend"], local_chunk["backend"]) == (comfy.url, "local")
    assert (comfy_chunk["spec"]["checkpoint"], local_chunk["spec"]["checkpoint"]) == (SDXL, DEMO)
