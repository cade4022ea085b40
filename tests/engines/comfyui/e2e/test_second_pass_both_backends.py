"""One second-pass request (seed, init image, mask, latent hires) on the embedded engine and on
the stand-in ComfyUI, each behind its own `gaze serve`: the same inputs reach both backends.

The stand-in does not sample: it renders seeded noise of the right size (see
tests/comfyui_standin/png_output.py), so the two backends' pixels cannot be compared here.
What is compared is everything GAZE decides before a backend samples: the prepared init
image and mask (ComfyUI is sent exactly the pixels the embedded engine encodes), the sizes,
the second pass's settings, and the PNG metadata GAZE writes for each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from devkit.server import GazeServer
from gaze.engines.image_inputs import prepared_init_image, prepared_mask
from gaze.generation_spec import GenerationSpec
from tests.comfyui_standin import StandInFactory
from tests.engines.comfyui.e2e.gaze_calls import (
    finished_jobs,
    gaze_chunk,
    png_of,
    queue_generation,
)
from tests.engines.comfyui.e2e.second_pass_calls import (
    PRESET,
    SECOND_PASS_MODELS,
    input_file,
    last_graph,
    nodes_of,
    square_mask,
    three_bands,
    upload,
)
from tests.support.gaze_servers import GazeFactory

HIRES = {"scale": 1.5, "denoise": 0.5, "steps": 2, "upscaler": "latent"}
SOURCE_FIELDS = ("init_image", "mask")


def run_request(server: GazeServer) -> tuple[dict[str, Any], Image.Image]:
    init, mask = upload(server, three_bands(72, 64)), upload(server, square_mask((72, 64)))
    body = {"init_image": init, "mask": mask, "denoise": 0.7, "seed": 90, "hires": HIRES}
    [job] = finished_jobs(server, queue_generation(server, PRESET, **body), timeout=300)
    assert job["status"] == "done", job
    return job, png_of(server, job)


def without_paths(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with each source image reduced to its SHA-256 (upload names are random)."""
    return {key: value["sha256"] if key in SOURCE_FIELDS else value for key, value in spec.items()}


def test_one_second_pass_request_reaches_both_backends_alike(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=SECOND_PASS_MODELS)
    local_server, comfy_server = gaze_with("local"), gaze_with(comfy.url)
    local_job, local_png = run_request(local_server)
    comfy_job, comfy_png = run_request(comfy_server)
    assert (local_job["backend"], comfy_job["backend"]) == ("local", comfy.url)

    assert local_png.size == comfy_png.size == (112, 96)  # 72x64 * 1.5 = 108x96, to 8s
    assert local_png.info["parameters"] == comfy_png.info["parameters"]
    local_spec = gaze_chunk(local_png)["spec"]
    assert without_paths(local_spec) == without_paths(gaze_chunk(comfy_png)["spec"])

    # ComfyUI loads exactly the init image and mask the embedded engine encodes.
    spec = GenerationSpec.from_dict(local_spec)
    media: Path = local_server.data_dir / "uploads"
    graph = last_graph(comfy)
    [init_name] = [node["image"] for node in nodes_of(graph, "LoadImage")]
    [mask_name] = [node["image"] for node in nodes_of(graph, "LoadImageMask")]
    local_init, local_mask = prepared_init_image(spec, media), prepared_mask(spec, media)
    assert local_mask is not None
    sent_init = input_file(comfy, init_name).convert("RGB")
    sent_mask = input_file(comfy, mask_name).convert("L")
    assert sent_init.tobytes() == local_init.tobytes()
    assert sent_mask.tobytes() == local_mask.tobytes()

    # The second pass ComfyUI runs is the one the embedded engine plans.
    first, second = nodes_of(graph, "KSampler")
    assert (first["seed"], first["denoise"], second["seed"]) == (90, 0.7, 90)
    assert (second["steps"], second["denoise"]) == (HIRES["steps"], HIRES["denoise"])
    [upscale] = nodes_of(graph, "LatentUpscaleBy")
    assert (upscale["upscale_method"], upscale["scale_by"]) == ("nearest-exact", 1.5)
