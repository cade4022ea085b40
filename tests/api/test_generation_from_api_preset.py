"""End to end: a preset made through the API, with random slots, generates on the embedded
engine, and its PNG records what was chosen, exactly as the resolve endpoint predicts."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from devkit.server import GazeServer
from gaze.media.png_metadata import read_gaze_metadata
from tests.support.ids import unique_id


def test_a_generated_png_records_the_choices_of_its_seed(
    api: httpx.Client, library_server: GazeServer
) -> None:
    slug = unique_id("random_slots")
    document = {
        "id": slug,
        "name": "Random Slots",
        "characters": {
            "mode": "random",
            "pool": {"kind": "list", "ids": ["mira_holt", "kenji_arata"]},
        },
        "outfits": {
            "mode": "random",
            "pool": {"kind": "tag", "key": "outfit_type", "value": "outdoor"},
        },
        "scenes": {"mode": "random"},
        "detailers": {"mode": "random"},
        "checkpoint": "gaze-demo-sd15-tiny.safetensors",
        "width": 64,
        "height": 64,
        "steps": 2,
    }
    assert api.post("/presets", json=document).status_code == 201
    seed = 424242
    predicted = api.post(f"/presets/{slug}/resolve", json={"seed": seed}).json()

    queued = api.post(f"/generate/{slug}", json={"seed": seed})
    assert queued.status_code == 202, queued.text
    job = library_server.wait_for_job(queued.json()["jobs"][0]["job_id"])
    assert job["status"] == "done", job
    assert job["result"]["seed"] == seed
    png = httpx.get(f"{library_server.url}{job['result']['image_url']}", timeout=30)
    assert png.status_code == 200
    metadata = read_gaze_metadata(Image.open(io.BytesIO(png.content)))

    assert metadata["preset"] == {"id": slug, "slug": slug}
    assert metadata["resolution"] == predicted["choices"]
    assert metadata["spec"] == predicted["spec"]
    choices = metadata["resolution"]
    assert choices["characters"][0]["id"] in ("mira_holt", "kenji_arata")
    assert choices["characters"][0]["mode"] == "random"
    assert choices["outfits"][0]["id"] in ("knight_armor", "rain_jacket")
    assert len(choices["scenes"]) == 1 and len(choices["detailers"]) == 1
    assert metadata["spec"]["positive"] == predicted["prompt"]
    assert (metadata["spec"]["width"], metadata["spec"]["height"]) == (64, 64)
