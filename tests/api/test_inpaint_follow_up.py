"""`POST /api/v1/job/<id>/inpaint`: redraw a done job's image under an uploaded mask, keeping
its seed and settings; every refusal names its field."""

from __future__ import annotations

from PIL import Image, ImageDraw

from devkit.server import GazeServer
from tests.api.test_second_pass_end_to_end import PRESET, finished, png_of, sha256_of, upload


def test_a_done_job_is_inpainted_with_its_seed_under_the_mask(server: GazeServer) -> None:
    original = finished(
        server,
        server.post(f"/api/v1/generate/{PRESET}", json={"seed": 77, "width": 64, "height": 64}),
    )
    image, spec = png_of(server, original)
    mask = Image.new("RGB", image.size, "black")
    ImageDraw.Draw(mask).rectangle((0, 0, 31, 63), fill="white")
    mask_upload = upload(server, mask)

    job = finished(
        server,
        server.post(
            f"/api/v1/job/{original['id']}/inpaint",
            json={"mask": mask_upload["relative_path"], "denoise": 0.8},
        ),
    )
    redrawn, redrawn_spec = png_of(server, job)
    assert redrawn.size == image.size
    assert job["result"]["seed"] == 77
    assert redrawn_spec["init_image"]["path"] == original["result"]["relative_path"]
    assert redrawn_spec["mask"] == {
        "path": mask_upload["relative_path"],
        "sha256": sha256_of(server, mask_upload["relative_path"]),
    }
    assert redrawn_spec["denoise"] == 0.8
    assert redrawn_spec["positive"] == spec["positive"]
    assert redrawn_spec["hires"] is None


def test_inpaint_refusals_name_the_problem(server: GazeServer) -> None:
    original = finished(
        server,
        server.post(f"/api/v1/generate/{PRESET}", json={"seed": 78, "width": 64, "height": 64}),
    )
    path = f"/api/v1/job/{original['id']}/inpaint"
    small = upload(server, Image.new("RGB", (32, 32), "white"))["relative_path"]
    for body, code in (
        ({}, "invalid_mask"),
        ({"mask": "inputs/nope.png"}, "invalid_mask"),
        ({"mask": small}, "invalid_mask"),
        ({"mask": small, "colour": "red"}, "unknown_field"),
        ({"mask": small, "denoise": 2}, "invalid_denoise"),
    ):
        answer = server.post(path, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["code"] == code, (body, answer.text)
    missing = server.post("/api/v1/job/00000000-0000-4000-8000-000000000000/inpaint", json={})
    assert missing.status_code in (400, 404)
