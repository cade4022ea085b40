"""ComfyUIEngine jobs with an init image, a mask and a hires pass, against the stand-in."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops, ImageDraw

from gaze.engines.base import CancelToken, EngineError, GenerationCancelled, ModelNotFound
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.engines.comfyui.uploads import png_bytes, upload_name
from gaze.engines.image_inputs import prepared_init_image, prepared_mask
from gaze.engines.model_lists import model_lists, preflight_problem
from gaze.generation_spec import HiresSpec, SourceImage
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory
from tests.engines.comfyui.engine_jobs import Job, ProgressLog, same_pixels, spec, state, wait_until

MODEL = "4x-UltraSharp.pth"
MODELS = {"checkpoints": ["sd15/base.safetensors"], "upscale_models": [MODEL]}


def write_source(media_dir: Path, relative: str, image: Image.Image) -> SourceImage:
    path = media_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return SourceImage(relative, hashlib.sha256(path.read_bytes()).hexdigest())


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def init(media_dir: Path) -> SourceImage:
    picture = Image.linear_gradient("L").resize((300, 220)).convert("RGB")
    ImageDraw.Draw(picture).ellipse((60, 40, 200, 160), fill=(180, 40, 90))
    return write_source(media_dir, "inputs/init.png", picture)


@pytest.fixture
def mask(media_dir: Path) -> SourceImage:
    picture = Image.new("RGB", (300, 220), "black")
    ImageDraw.Draw(picture).rectangle((100, 60, 220, 180), fill="white")
    return write_source(media_dir, "inputs/mask.png", picture)


def sent_graph(standin: ComfyUIStandIn, prompt_id: str) -> dict[str, Any]:
    return standin.history()[prompt_id]["prompt"][2]


def stored_input(standin: ComfyUIStandIn, name: str) -> Image.Image:
    response = httpx.get(
        f"{standin.url}/view", params={"filename": name, "type": "input"}, trust_env=False
    )
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


def same_image(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and a.mode == b.mode and ImageChops.difference(a, b).getbbox() is None


def test_init_image_mask_and_model_hires_run_end_to_end(
    standin_factory: StandInFactory, media_dir: Path, init: SourceImage, mask: SourceImage
) -> None:
    standin = standin_factory(models=MODELS)
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    hires = HiresSpec(scale=1.5, denoise=0.4, steps=3, upscaler=MODEL)
    job = spec(init_image=init, mask=mask, denoise=0.7, hires=hires)
    progress = ProgressLog()
    result = engine.generate(job, progress, CancelToken())

    assert result.image.size == (384, 288)
    assert same_pixels(result, job.seed, 384, 288)
    progress.assert_monotonic_to_one()
    assert len(progress.fractions) == 8 + 3 + 1  # the model's tiles take no share
    graph = sent_graph(standin, result.info["prompt_id"])
    want_init = prepared_init_image(job, media_dir)
    want_mask = prepared_mask(job, media_dir)
    assert want_mask is not None
    assert graph["12"]["inputs"]["image"] == upload_name(png_bytes(want_init))
    assert graph["14"]["inputs"] == {"image": upload_name(png_bytes(want_mask)), "channel": "red"}
    assert same_image(stored_input(standin, graph["12"]["inputs"]["image"]), want_init)
    assert same_image(stored_input(standin, graph["14"]["inputs"]["image"]), want_mask)
    assert graph["3"]["inputs"]["denoise"] == 0.7
    assert graph["101"]["inputs"]["model_name"] == MODEL
    assert graph["106"]["inputs"]["latent_image"] == ["105", 0]  # the mask again


def test_img2img_with_a_latent_hires_pass(
    standin: ComfyUIStandIn, media_dir: Path, init: SourceImage
) -> None:
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    job = spec(init_image=init, denoise=0.5, hires=HiresSpec(scale=2.0, upscaler="latent-bislerp"))
    result = engine.generate(job, ProgressLog(), CancelToken())
    assert result.image.size == (512, 384)
    graph = sent_graph(standin, result.info["prompt_id"])
    assert "LoadImageMask" not in {node["class_type"] for node in graph.values()}
    assert graph["103"]["inputs"]["upscale_method"] == "bislerp"
    assert state(standin)["input_files"] == [graph["12"]["inputs"]["image"]]


def test_a_repeat_reuses_the_uploaded_files_and_comfyui_cache(
    standin: ComfyUIStandIn, media_dir: Path, init: SourceImage, mask: SourceImage
) -> None:
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    job = spec(init_image=init, mask=mask, denoise=0.6)
    engine.generate(job, ProgressLog(), CancelToken())
    again = ProgressLog()
    result = engine.generate(job, again, CancelToken())
    assert again.fractions == [1.0]  # every node cached: the same names, the same bytes
    assert len(state(standin)["input_files"]) == 2
    assert same_pixels(result, job.seed, 256, 192)


def test_a_missing_upscale_model_is_refused_before_anything_is_sent(
    standin: ComfyUIStandIn, media_dir: Path, init: SourceImage
) -> None:
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    job = spec(init_image=init, hires=HiresSpec(upscaler=MODEL))
    lists = model_lists(engine)
    assert lists is not None
    problem = preflight_problem(job, [lists])
    assert problem == f"not available on any backend ({standin.url}): upscale model '{MODEL}'"
    with pytest.raises(ModelNotFound, match=f"does not have upscale model '{MODEL}'"):
        engine.generate(job, ProgressLog(), CancelToken())
    assert state(standin)["input_files"] == []
    assert standin.stats().executed_prompts == []


def test_the_upscale_model_is_sent_in_the_server_spelling(
    standin_factory: StandInFactory, media_dir: Path
) -> None:
    standin = standin_factory(
        models={"checkpoints": ["sd15/base.safetensors"], "upscale_models": ["esrgan\\4x.pth"]}
    )
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    assert engine.upscale_models() == ["esrgan/4x.pth"]
    result = engine.generate(
        spec(hires=HiresSpec(upscaler="esrgan/4x.pth")), ProgressLog(), CancelToken()
    )
    assert sent_graph(standin, result.info["prompt_id"])["101"]["inputs"] == {
        "model_name": "esrgan\\4x.pth"
    }


def test_an_init_image_changed_since_queueing_fails_before_anything_is_sent(
    standin: ComfyUIStandIn, media_dir: Path, init: SourceImage
) -> None:
    (media_dir / init.path).write_bytes(png_bytes(Image.new("RGB", (300, 220), "white")))
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    with pytest.raises(EngineError, match="changed since the job was queued"):
        engine.generate(spec(init_image=init), ProgressLog(), CancelToken())
    assert state(standin)["input_files"] == []
    assert standin.stats().executed_prompts == []


def test_an_engine_without_a_media_folder_cannot_read_init_images(
    standin: ComfyUIStandIn, init: SourceImage
) -> None:
    with pytest.raises(EngineError, match="no media folder"):
        ComfyUIEngine(standin.url).generate(spec(init_image=init), ProgressLog(), CancelToken())


def test_a_refused_upload_fails_the_job_clearly(
    standin_factory: StandInFactory, media_dir: Path, init: SourceImage
) -> None:
    standin = standin_factory(upload_status=403)
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    with pytest.raises(EngineError, match=r"refused to store the image gaze_[0-9a-f]{64}\.png"):
        engine.generate(spec(init_image=init), ProgressLog(), CancelToken())
    assert standin.stats().executed_prompts == []


def test_a_job_cancelled_in_the_second_pass_is_interrupted_there(
    standin_factory: StandInFactory, media_dir: Path, init: SourceImage
) -> None:
    standin = standin_factory(step_delay=0.05)
    engine = ComfyUIEngine(standin.url, media_dir=media_dir)
    job = Job(engine, spec(init_image=init, steps=2, hires=HiresSpec(steps=200)))
    # Shares by steps: the first pass is 2 of 202; past 3 the second pass is running.
    wait_until(lambda: any(f > 3 / 202 for f in job.progress.fractions))
    job.cancel.cancel()
    job.join()
    assert isinstance(job.error, GenerationCancelled)
    history = standin.history()
    (entry,) = history.values()
    interrupted = [data for kind, data in entry["status"]["messages"] if kind.endswith("rupted")]
    assert interrupted[0]["node_id"] == "106"


def test_a_mask_without_an_init_image_is_refused(standin: ComfyUIStandIn, media_dir: Path) -> None:
    job = dataclasses.replace(spec(), mask=SourceImage("inputs/mask.png", "0" * 64))
    with pytest.raises(EngineError, match="mask needs an init image"):
        ComfyUIEngine(standin.url, media_dir=media_dir).generate(job, ProgressLog(), CancelToken())


def test_an_upscale_model_removed_after_listing_is_a_missing_model(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(models=MODELS)
    engine = ComfyUIEngine(standin.url)
    assert engine.upscale_models() == [MODEL]  # listed, and cached
    standin.set_models(upscale_models=[])
    with pytest.raises(ModelNotFound, match="node 101 \\(UpscaleModelLoader\\) input model_name"):
        engine.generate(spec(hires=HiresSpec(upscaler=MODEL)), ProgressLog(), CancelToken())
    assert engine.upscale_models() == []  # the lists were forgotten and read again
