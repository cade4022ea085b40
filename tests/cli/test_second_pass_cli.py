"""`gaze generate --init-image/--mask/--hires-*` and `gaze jobs upscale|vary` end to end against
a live server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw

from devkit.server import GAZE, GazeServer

UNKNOWN_JOB = "783f0268-ba85-4426-8ca2-6393c844c887"
SMALL = ["--width", "64", "--height", "64"]


def gaze(server: GazeServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GAZE_")}
    env.update(GAZE_URL=server.url, GAZE_API_KEY=server.api_key, COLUMNS="200")
    return subprocess.run(
        [GAZE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def saved_image(result: subprocess.CompletedProcess[str]) -> tuple[tuple[int, int], str]:
    assert result.returncode == 0, result.stderr
    [path] = result.stdout.split()[-1:]
    with Image.open(path) as image:
        return image.size, str(image.info["parameters"])


def test_generate_uploads_local_files_and_asks_for_a_hires_pass(
    server: GazeServer, tmp_path: Path
) -> None:
    picture, mask = tmp_path / "picture.png", tmp_path / "mask.png"
    drawn = Image.new("RGB", (80, 64), (40, 90, 160))
    ImageDraw.Draw(drawn).ellipse((20, 12, 60, 52), fill=(220, 200, 40))
    drawn.save(picture)
    blank = Image.new("L", (80, 64), 0)
    ImageDraw.Draw(blank).rectangle((40, 0, 79, 63), fill=255)
    blank.save(mask)

    result = gaze(
        server,
        "generate",
        "example_01",
        "--seed",
        "61",
        "--init-image",
        str(picture),
        "--mask",
        str(mask),
        "--denoise",
        "0.6",
        "--hires-scale",
        "1.5",
        "--hires-denoise",
        "0.4",
        "--hires-steps",
        "2",
        "--hires-upscaler",
        "pixel-bicubic",
        "--hires-sampler",
        "heun",
        "--hires-scheduler",
        "karras",
        "--mask-blur",
        "3",
        "--mask-grow",
        "2",
        "--out",
        str(tmp_path / "out"),
    )
    size, parameters = saved_image(result)
    assert size == (120, 96)
    for entry in (
        "Seed: 61",
        "Init denoising strength: 0.6",
        "Denoising strength: 0.4",
        "Hires upscale: 1.5",
        "Hires steps: 2",
        "Mask blur: 3",
        "Hires sampler: Heun",
        "Hires schedule type: Karras",
    ):
        assert entry in parameters, (entry, parameters)


def test_a_server_path_is_passed_through_and_refusals_show_the_api_code(
    server: GazeServer,
) -> None:
    missing = gaze(server, "generate", "example_01", "--init-image", "inputs/missing.png")
    assert missing.returncode == 1
    assert "400 invalid_init_image" in missing.stderr
    clash = gaze(server, "generate", "example_01", "--no-hires", "--hires-scale", "2")
    assert clash.returncode == 2 and "--no-hires" in clash.stderr
    for action in ("upscale", "vary"):
        unknown = gaze(server, "jobs", action, UNKNOWN_JOB)
        assert unknown.returncode == 1
        assert "404 job_not_found" in unknown.stderr


def test_jobs_upscale_and_vary_a_done_job(server: GazeServer, tmp_path: Path) -> None:
    queued = gaze(server, "generate", "example_01", "--seed", "71", *SMALL)
    assert queued.returncode == 0, queued.stderr
    job_id = queued.stdout.split()[2]
    watched = gaze(server, "jobs", "watch", job_id)
    assert watched.returncode == 0, watched.stderr

    upscaled = gaze(
        server,
        "jobs",
        "upscale",
        job_id,
        "--scale",
        "1.5",
        "--denoise",
        "0.3",
        "--out",
        str(tmp_path / "upscaled"),
    )
    size, parameters = saved_image(upscaled)
    assert size == (96, 96)
    assert "Seed: 71" in parameters and "Hires upscale: 1.5" in parameters

    varied = gaze(
        server,
        "jobs",
        "vary",
        job_id,
        "--denoise",
        "0.5",
        "--seed",
        "80",
        "--out",
        str(tmp_path / "varied"),
    )
    size, parameters = saved_image(varied)
    assert size == (64, 64)
    assert "Seed: 80" in parameters and "Denoising strength: 0.5" in parameters

    queued_only = gaze(server, "jobs", "vary", job_id, "--count", "2")
    assert queued_only.returncode == 0, queued_only.stderr
    assert len(queued_only.stdout.split()) == 2, "without --wait it prints the new job ids"
