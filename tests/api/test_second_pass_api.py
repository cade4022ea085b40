"""The second pass through the API, on a server without a worker (queued jobs stay pending, so
each job's spec is read back from the store): uploads, the init image / mask / hires fields of
generate, their refusals, and the follow-ups' refusals."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.generation_spec import GenerationSpec, HiresSpec, SourceImage
from gaze.jobs.store import JobStore
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

PRESET = "example_01"


@pytest.fixture(scope="module")
def idle_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    with gaze_servers.running("--no-worker", name="second_pass", env=SHARED_SERVER_ENV) as server:
        yield server


@pytest.fixture(scope="module")
def store(idle_server: GazeServer) -> JobStore:
    return JobStore(Database(f"sqlite:///{idle_server.data_dir / 'gaze.db'}"))


def png(width: int, height: int, colour: str = "white", format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=format)
    return buffer.getvalue()


def upload(server: GazeServer, data: bytes, name: str = "image.png") -> httpx.Response:
    return server.post("/api/v1/uploads", files={"file": (name, data, "application/octet-stream")})


def uploaded(server: GazeServer, width: int, height: int, colour: str = "white") -> dict[str, Any]:
    response = upload(server, png(width, height, colour))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def generate(server: GazeServer, **body: Any) -> httpx.Response:
    return server.post(f"/api/v1/generate/{PRESET}", json=body)


def queued_spec(server: GazeServer, store: JobStore, **body: Any) -> GenerationSpec:
    response = generate(server, **body)
    assert response.status_code == 202, response.text
    job = store.get(response.json()["jobs"][0]["job_id"])
    assert job is not None
    return GenerationSpec.from_dict(job.spec)


def refusal(response: httpx.Response, status: int = 400) -> dict[str, str]:
    assert response.status_code == status, response.text
    body: dict[str, str] = response.json()
    assert set(body) == {"error", "code"}
    return body


def test_an_upload_is_stored_as_png_and_served(idle_server: GazeServer) -> None:
    answer = uploaded(idle_server, 120, 80)
    assert set(answer) == {"upload_id", "relative_path", "width", "height"}
    assert answer["relative_path"] == f"inputs/{answer['upload_id']}.png"
    assert (answer["width"], answer["height"]) == (120, 80)
    stored = idle_server.data_dir / "uploads" / answer["relative_path"]
    with Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (120, 80))
    served = httpx.get(f"{idle_server.url}/static/uploads/{answer['relative_path']}", timeout=30)
    assert served.status_code == 200 and served.content == stored.read_bytes()


def test_uploads_need_the_api_key(idle_server: GazeServer) -> None:
    response = httpx.post(
        f"{idle_server.url}/api/v1/uploads", files={"file": ("a.png", png(8, 8))}, timeout=30
    )
    assert refusal(response, 401)["code"] == "missing_api_key"
    response = httpx.post(
        f"{idle_server.url}/api/v1/uploads",
        files={"file": ("a.png", png(8, 8))},
        headers={"X-API-Key": "wrong"},
        timeout=30,
    )
    assert refusal(response, 403)["code"] == "invalid_api_key"


def test_bad_uploads_are_400_naming_the_problem(idle_server: GazeServer) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    for data, code in [
        (b"", "empty_file"),
        (b"GIF89a not really", "not_an_image"),
        (gif.getvalue(), "unsupported_image_format"),
        (png(4100, 16), "image_too_large"),
    ]:
        assert refusal(upload(idle_server, data))["code"] == code
    no_file = idle_server.post("/api/v1/uploads", data={"image": "x"})
    assert refusal(no_file)["code"] == "missing_file"
    as_json = idle_server.post("/api/v1/uploads", json={"file": "x"})
    assert refusal(as_json)["code"] == "missing_file"


def test_an_upload_over_the_limit_is_refused_before_it_is_read(idle_server: GazeServer) -> None:
    response = upload(idle_server, b"\0" * (22 * 1024 * 1024))
    assert refusal(response, 413)["code"] == "payload_too_large"


def test_an_upload_becomes_the_init_image_at_its_size(
    idle_server: GazeServer, store: JobStore
) -> None:
    answer = uploaded(idle_server, 101, 75)
    spec = queued_spec(idle_server, store, init_image=answer["relative_path"], seed=5)
    stored = (idle_server.data_dir / "uploads" / answer["relative_path"]).read_bytes()
    assert spec.init_image == SourceImage(
        answer["relative_path"], hashlib.sha256(stored).hexdigest()
    )
    assert (spec.width, spec.height) == (96, 72), "rounded down to multiples of 8"
    assert (spec.denoise, spec.resize, spec.mask, spec.hires) == (0.75, None, None, None)
    assert spec.seed == 5


def test_inpainting_with_a_hires_pass_records_every_field(
    idle_server: GazeServer, store: JobStore
) -> None:
    init = uploaded(idle_server, 80, 64)
    mask = uploaded(idle_server, 80, 64, "black")
    spec = queued_spec(
        idle_server,
        store,
        init_image=init["relative_path"],
        mask=mask["relative_path"],
        denoise=0.6,
        mask_blur=2,
        mask_grow=3,
        hires={"scale": 1.5, "denoise": 0.4, "steps": 3, "upscaler": "pixel-lanczos"},
    )
    assert spec.mask is not None and spec.mask.path == mask["relative_path"]
    assert (spec.width, spec.height, spec.denoise) == (80, 64, 0.6)
    assert (spec.mask_blur, spec.mask_grow) == (2, 3)
    assert spec.hires == HiresSpec(scale=1.5, denoise=0.4, steps=3, upscaler="pixel-lanczos")


def test_width_and_height_with_resize_bring_the_init_image_to_that_size(
    idle_server: GazeServer, store: JobStore
) -> None:
    init = uploaded(idle_server, 200, 100)
    path = init["relative_path"]
    cropped = queued_spec(idle_server, store, init_image=path, width=64, height=64, resize="crop")
    assert (cropped.width, cropped.height, cropped.resize) == (64, 64, "crop")
    stretched = queued_spec(idle_server, store, init_image=path, width=128, height=64)
    assert (stretched.width, stretched.height, stretched.resize) == (128, 64, None)
    preset_size = queued_spec(idle_server, store, init_image=path, resize="pad")
    plain = queued_spec(idle_server, store)
    assert (preset_size.width, preset_size.height) == (plain.width, plain.height)


def test_the_presets_hires_pass_applies_unless_the_request_turns_it_off(
    idle_server: GazeServer, store: JobStore
) -> None:
    document = idle_server.get(f"/api/v1/presets/{PRESET}").json()
    preset = {
        key: value
        for key, value in document.items()
        if key not in ("slug", "created_at", "updated_at")
    }
    preset.update(id="hires_preset", name="Hires preset", hires={"scale": 2, "denoise": 0.3})
    created = idle_server.post("/api/v1/presets", json=preset)
    assert created.status_code == 201, created.text
    path = "/api/v1/generate/hires_preset"
    body = {"width": 64, "height": 64}

    def spec_of(**extra: Any) -> GenerationSpec:
        response = idle_server.post(path, json={**body, **extra})
        assert response.status_code == 202, response.text
        job = store.get(response.json()["jobs"][0]["job_id"])
        assert job is not None
        return GenerationSpec.from_dict(job.spec)

    assert spec_of().hires == HiresSpec(scale=2.0, denoise=0.3)
    assert spec_of(hires=None).hires is None
    assert spec_of(hires={"scale": 1.25}).hires == HiresSpec(scale=1.25)
    resolved = idle_server.post("/api/v1/presets/hires_preset/resolve", json={"seed": 1})
    assert resolved.json()["spec"]["hires"]["scale"] == 2.0


def test_every_second_pass_rule_is_a_400_naming_the_field(idle_server: GazeServer) -> None:
    init = uploaded(idle_server, 80, 64)["relative_path"]
    other_size = uploaded(idle_server, 64, 80)["relative_path"]
    tiny = uploaded(idle_server, 40, 40)["relative_path"]
    large = uploaded(idle_server, 2048, 1024)["relative_path"]
    (idle_server.data_dir / "uploads" / "inputs" / "notes.png").write_text("not an image")
    (idle_server.data_dir / "uploads" / "presets").mkdir(exist_ok=True)
    (idle_server.data_dir / "uploads" / "presets" / "stray.png").write_bytes(png(64, 64))
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"init_image": "inputs/missing.png"}, "invalid_init_image", "init_image"),
        ({"init_image": "inputs/notes.png"}, "invalid_init_image", "not a readable image"),
        ({"init_image": "presets/stray.png"}, "unknown_init_image", "nor a gallery image"),
        ({"init_image": "../gaze.db"}, "invalid_init_image", "init_image"),
        ({"mask": init}, "mask_without_init_image", "mask needs an init_image"),
        ({"init_image": init, "mask": "inputs/nope.png"}, "invalid_mask", "mask"),
        ({"init_image": init, "mask": other_size}, "invalid_mask", "same size"),
        ({"init_image": tiny}, "invalid_init_image", "under 64 px"),
        ({"init_image": init, "denoise": 2}, "invalid_denoise", "denoise"),
        ({"init_image": init, "resize": "zoom"}, "invalid_resize", "resize"),
        ({"hires": {"scale": 9}}, "invalid_hires", "hires.scale"),
        ({"hires": {"upscaler": "nope"}}, "invalid_hires", "hires.upscaler"),
        (
            {"init_image": large, "hires": {"scale": 2.5}},
            "invalid_hires",
            "hires.scale 2.5 makes 2048x1024 into 5120x2560",
        ),
        ({"hires": {"sampler": "warp_drive"}}, "invalid_hires", "hires.sampler 'warp_drive'"),
        (
            {"hires": {"upscaler": "4x-Missing.pth"}},
            "model_not_available",
            "upscale model '4x-Missing.pth'",
        ),
    ]
    for body, code, words in cases:
        answer = refusal(generate(idle_server, **body))
        assert answer["code"] == code, (body, answer)
        assert words in answer["error"], (body, answer)


def test_follow_ups_answer_404_for_an_unknown_job_and_409_for_one_not_done(
    idle_server: GazeServer,
) -> None:
    unknown = "783f0268-ba85-4426-8ca2-6393c844c887"
    for action in ("upscale", "vary"):
        assert refusal(idle_server.post(f"/api/v1/job/{unknown}/{action}"), 404)["code"] == (
            "job_not_found"
        )
    pending = generate(idle_server, width=64, height=64).json()["jobs"][0]["job_id"]
    for action, verb in (("upscale", "upscaled"), ("vary", "varied")):
        answer = refusal(idle_server.post(f"/api/v1/job/{pending}/{action}", json={}), 409)
        assert answer["code"] == "job_not_done"
        assert f"only a done job can be {verb}" in answer["error"]


def test_follow_up_bodies_are_checked_before_the_job(idle_server: GazeServer) -> None:
    pending = generate(idle_server, width=64, height=64).json()["jobs"][0]["job_id"]
    for action, body, code in [
        ("upscale", {"scale": 8}, "invalid_upscale"),
        ("upscale", {"upscaler": "magic"}, "invalid_upscale"),
        ("upscale", {"denoise": -1}, "invalid_upscale"),
        ("upscale", {"steps": 4}, "unknown_field"),
        ("vary", {"denoise": 1.5}, "invalid_denoise"),
        ("vary", {"seed": -1}, "invalid_seed"),
        ("vary", {"count": 0}, "invalid_count"),
        ("vary", {"scale": 2}, "unknown_field"),
    ]:
        answer = refusal(idle_server.post(f"/api/v1/job/{pending}/{action}", json=body))
        assert answer["code"] == code, (action, body, answer)
    not_json = idle_server.post(
        f"/api/v1/job/{pending}/vary",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert refusal(not_json)["code"] == "invalid_json"
