"""The client's second pass against a live server: uploads, generate with an init image, a mask
and a hires pass, the upscale and vary follow-ups (sync and asyncio), and the API's refusals."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from devkit.server import GazeServer
from gaze.client import AsyncGazeClient, GazeApiError, GazeClient, Hires, Job
from gaze.client.calls import generate_call

PRESET = "example_01"
UNKNOWN_JOB = "783f0268-ba85-4426-8ca2-6393c844c887"
WAIT_SECONDS = 240


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def parameters_of(path: Path) -> tuple[tuple[int, int], str]:
    with Image.open(path) as image:
        return image.size, str(image.info["parameters"])


def test_hires_not_given_differs_from_hires_none() -> None:
    assert "hires" not in (generate_call(PRESET).json or {})
    assert generate_call(PRESET, hires=None).json == {"hires": None}
    assert generate_call(PRESET, hires=Hires(scale=2.0, steps=3)).json == {
        "hires": {"scale": 2.0, "steps": 3}
    }
    assert generate_call(PRESET, hires={"upscaler": "latent"}).json == {
        "hires": {"upscaler": "latent"}
    }


def test_an_upload_inpainted_with_a_hires_pass(server: GazeServer, tmp_path: Path) -> None:
    picture = Image.new("RGB", (80, 64), (40, 90, 160))
    ImageDraw.Draw(picture).ellipse((20, 12, 60, 52), fill=(220, 200, 40))
    mask = Image.new("RGB", (80, 64), "black")
    ImageDraw.Draw(mask).rectangle((0, 0, 39, 63), fill="white")
    mask_file = tmp_path / "mask.png"
    mask.save(mask_file)

    with GazeClient(server.url, server.api_key) as gaze:
        init = gaze.upload(png_bytes(picture))
        mask_upload = gaze.upload(mask_file)
        assert (init.width, init.height) == (80, 64)
        assert init.relative_path == f"inputs/{init.upload_id}.png"
        assert mask_upload.relative_path.startswith("inputs/")
        queued = gaze.generate(
            PRESET,
            seed=21,
            init_image=init.relative_path,
            mask=mask_upload.relative_path,
            denoise=0.6,
            mask_blur=2,
            hires=Hires(scale=1.5, denoise=0.4, steps=2, upscaler="pixel-lanczos"),
        )
        [job_id] = queued.job_ids
        job = gaze.wait(job_id, timeout=WAIT_SECONDS)
        assert job.status == "done", job.error
        size, parameters = parameters_of(gaze.download(job, tmp_path / "out"))

    assert size == (120, 96)
    for entry in (
        "Seed: 21",
        "Size: 80x64",
        "Denoising strength: 0.4",
        "Init denoising strength: 0.6",
        "Hires upscale: 1.5",
        "Hires steps: 2",
        "Mask blur: 2",
    ):
        assert entry in parameters, (entry, parameters)


def test_the_async_client_upscales_and_varies_a_done_job(
    server: GazeServer, tmp_path: Path
) -> None:
    async def run() -> tuple[Job, Job, list[Job], list[Path]]:
        async with AsyncGazeClient(server.url, server.api_key) as gaze:
            queued = await gaze.generate(PRESET, width=64, height=64, seed=31)
            first = await gaze.wait(queued.job_ids[0], timeout=WAIT_SECONDS)
            upscale = await gaze.upscale(first.id, scale=1.5, denoise=0.3)
            variations = await gaze.vary(first.id, denoise=0.5, seed=40, count=2)
            assert len(upscale.job_ids) == 1 and len(variations.job_ids) == 2
            upscaled = await gaze.wait(upscale.job_ids[0], timeout=WAIT_SECONDS)
            varied = [
                await gaze.wait(new_id, timeout=WAIT_SECONDS) for new_id in variations.job_ids
            ]
            paths = [await gaze.download(job, tmp_path) for job in (upscaled, *varied)]
            return first, upscaled, varied, paths

    first, upscaled, varied, paths = asyncio.run(run())
    assert first.status == "done" and upscaled.status == "done", (first.error, upscaled.error)
    assert upscaled.result is not None and upscaled.result.seed == 31
    assert [job.result.seed if job.result else None for job in varied] == [40, 41]
    upscaled_size, upscaled_parameters = parameters_of(paths[0])
    assert upscaled_size == (96, 96)
    assert "Hires upscale: 1.5" in upscaled_parameters
    assert "Denoising strength: 0.3" in upscaled_parameters
    for path in paths[1:]:
        size, parameters = parameters_of(path)
        assert size == (64, 64) and "Denoising strength: 0.5" in parameters


def test_the_sync_client_upscales_and_varies_with_the_server_defaults(
    server: GazeServer,
) -> None:
    with GazeClient(server.url, server.api_key) as gaze:
        first = gaze.wait(
            gaze.generate(PRESET, width=64, height=64, seed=51).job_ids[0], timeout=WAIT_SECONDS
        )
        upscaled = gaze.wait(gaze.upscale(first.id).job_ids[0], timeout=WAIT_SECONDS)
        varied = gaze.wait(gaze.vary(first.id).job_ids[0], timeout=WAIT_SECONDS)
    assert upscaled.status == "done" and varied.status == "done", (upscaled.error, varied.error)
    assert upscaled.label.startswith("Upscale ×2: ")
    assert varied.result is not None and varied.result.seed != 51


def refusal(action: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(GazeApiError) as raised:
        action()
    return raised.value.status, raised.value.code


def test_refusals_raise_gaze_api_error_with_the_api_code(server: GazeServer) -> None:
    with GazeClient(server.url, server.api_key) as gaze:
        cases: list[tuple[Callable[[], Any], int, str]] = [
            (lambda: gaze.upload(b""), 400, "empty_file"),
            (lambda: gaze.upload(b"GIF89a not really"), 400, "not_an_image"),
            (lambda: gaze.generate(PRESET, mask="inputs/a.png"), 400, "mask_without_init_image"),
            (lambda: gaze.generate(PRESET, init_image="inputs/no.png"), 400, "invalid_init_image"),
            (lambda: gaze.generate(PRESET, hires=Hires(scale=9)), 400, "invalid_hires"),
            (lambda: gaze.upscale(UNKNOWN_JOB), 404, "job_not_found"),
            (lambda: gaze.upscale(UNKNOWN_JOB, scale=8), 400, "invalid_upscale"),
            (lambda: gaze.vary(UNKNOWN_JOB), 404, "job_not_found"),
            (lambda: gaze.vary(UNKNOWN_JOB, denoise=1.5), 400, "invalid_denoise"),
        ]
        for action, status, code in cases:
            assert refusal(action) == (status, code)

    async def async_refusals() -> list[tuple[int, str]]:
        answers = []
        async with AsyncGazeClient(server.url, server.api_key) as gaze:
            for call in (gaze.upload(b""), gaze.vary(UNKNOWN_JOB, count=0)):
                try:
                    await call
                except GazeApiError as error:
                    answers.append((error.status, error.code))
        return answers

    assert asyncio.run(async_refusals()) == [(400, "empty_file"), (400, "invalid_count")]
