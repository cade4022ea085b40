"""The embedded engine's img2img, inpainting and hires pass on the tiny SD1 and SDXL checkpoints."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from devkit.tiny_upscale_model import UPSCALE_LAYOUTS, write_tiny_upscale_model
from gaze.engines.base import CancelToken, EngineError, GenerationCancelled, ModelNotFound
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.image_sampling import model_sampling_of, sample_job
from gaze.engines.local.job_images import UpscaleModelCache, prepared_job_images
from gaze.engines.local.latent_decoding import decode_latent
from gaze.engines.local.prompt_encoding import encode_prompts
from gaze.engines.local.vae_pixels import encode_pixels, pixels_of
from gaze.generation_spec import (
    LATENT_UPSCALERS,
    PIXEL_UPSCALERS,
    GenerationSpec,
    HiresSpec,
)
from gaze.sampling.inpaint import latent_noise_mask
from tests.engines.local.local_engine_constants import SD1_NAME, SDXL_NAME, TEST_THREADS
from tests.engines.local.model_folders import models_with_checkpoints
from tests.engines.local.source_images import box_mask, noise_image, stored_source

pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

SPEC = GenerationSpec(
    positive="a photo of a cat",
    negative="blurry",
    checkpoint=SD1_NAME,
    width=64,
    height=48,
    steps=4,
    cfg=5.0,
    seed=77,
)
MODEL_FILES = {
    f"{layout}-x{scale}.pth": (layout, scale) for layout in UPSCALE_LAYOUTS for scale in (2, 4)
}


@pytest.fixture(scope="module")
def second_pass_engine(
    models_dir: Path, cache_dir: Path, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalEngine]:
    """An engine with a media folder and tiny upscale models beside the tiny checkpoints."""
    root = models_with_checkpoints(models_dir, tmp_path_factory.mktemp("second-pass-models"))
    for name, (layout, scale) in MODEL_FILES.items():
        write_tiny_upscale_model(root / "upscale_models" / name, layout, scale, seed=scale)
    write_tiny_upscale_model(root / "upscale_models" / "new.safetensors", "esrgan-new", 4)
    yield LocalEngine(root, cache_dir, device="cpu", threads=TEST_THREADS, media_dir=media_dir)


_source, _noise_image = stored_source, noise_image


def _square_mask() -> Image.Image:
    return box_mask((16, 16, 48, 40))


def _run(engine: LocalEngine, spec: GenerationSpec, progress: list[float] | None = None):
    sink: list[float] = [] if progress is None else progress
    return engine.generate(spec, sink.append, CancelToken())


def _array(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.float64)


def test_img2img_at_denoise_zero_is_the_vae_round_trip(
    second_pass_engine: LocalEngine, media_dir: Path
) -> None:
    init = _noise_image(1)
    spec = dataclasses.replace(SPEC, init_image=_source(media_dir, "one.png", init), denoise=0.0)
    result = _run(second_pass_engine, spec)
    vae = second_pass_engine.pipeline.vae
    with torch.inference_mode():
        round_trip = decode_latent(vae, encode_pixels(vae, pixels_of(init)))
    assert result.image.size == (64, 48)
    assert np.abs(_array(result.image) - _array(round_trip)).max() <= 1.0


def test_img2img_strength_follows_denoise(second_pass_engine: LocalEngine, media_dir: Path) -> None:
    first = _source(media_dir, "first.png", _noise_image(2))
    second = _source(media_dir, "second.png", Image.new("RGB", (64, 48), (250, 240, 10)))

    def difference(denoise: float) -> float:
        images = [
            _run(second_pass_engine, dataclasses.replace(SPEC, init_image=s, denoise=denoise))
            for s in (first, second)
        ]
        return float(np.abs(_array(images[0].image) - _array(images[1].image)).mean())

    kept, halfway, ignored = difference(0.0), difference(0.5), difference(1.0)
    assert kept > halfway > ignored
    assert ignored < kept * 0.02  # at 1 the whole schedule runs from the seed's noise


def test_img2img_same_seed_same_pixels_other_seed_other_pixels(
    second_pass_engine: LocalEngine, media_dir: Path
) -> None:
    spec = dataclasses.replace(
        SPEC, init_image=_source(media_dir, "seeded.png", _noise_image(3)), denoise=0.6
    )
    one, two = _run(second_pass_engine, spec), _run(second_pass_engine, spec)
    other = _run(second_pass_engine, dataclasses.replace(spec, seed=78))
    assert one.image.tobytes() == two.image.tobytes()
    assert one.image.tobytes() != other.image.tobytes()


@pytest.mark.parametrize("sampler", ["euler", "dpmpp_2m", "euler_ancestral"])
def test_inpaint_keeps_the_latent_where_the_mask_is_zero(
    second_pass_engine: LocalEngine, media_dir: Path, sampler: str
) -> None:
    spec = dataclasses.replace(
        SPEC,
        init_image=_source(media_dir, "inpaint.png", _noise_image(4)),
        mask=_source(media_dir, "mask.png", _square_mask()),
        denoise=0.8,
        sampler=sampler,
        mask_blur=0,
        mask_grow=0,
    )
    _run(second_pass_engine, spec)  # loads the checkpoint the way a job does
    current = second_pass_engine.last_loaded
    assert current is not None
    pipeline, family = current.loaded.pipeline, current.loaded.family
    images = prepared_job_images(spec, media_dir, Path("unused"), UpscaleModelCache("cpu"))
    with torch.inference_mode():
        conditioning = encode_prompts(pipeline, family, spec.positive, spec.negative, None, "cpu")
        job = sample_job(
            pipeline,
            family,
            spec,
            conditioning,
            model_sampling_of(current.base_scheduler_config),
            images,
            lambda fraction: None,
        )
        init = encode_pixels(pipeline.vae, images.init_pixels)
    assert images.mask is not None
    mask = latent_noise_mask(images.mask, init.shape).expand_as(init)
    kept, repainted = mask == 0, mask == 1
    assert int(kept.sum()) > 0 and int(repainted.sum()) > 0
    assert float((job.latent - init)[kept].abs().max()) <= 1e-6
    assert float((job.latent - init)[repainted].abs().mean()) > 0.5


@pytest.mark.parametrize("upscaler", [*LATENT_UPSCALERS, *PIXEL_UPSCALERS, "new.safetensors"])
def test_hires_output_size_for_each_upscaler(
    second_pass_engine: LocalEngine, upscaler: str
) -> None:
    hires = HiresSpec(scale=1.3, denoise=0.5, steps=2, upscaler=upscaler)
    result = _run(second_pass_engine, dataclasses.replace(SPEC, hires=hires))
    # round(64 * 1.3 / 8) * 8 = 80, round(48 * 1.3 / 8) * 8 = 64 (7.8 -> 8)
    assert result.image.size == (80, 64)
    assert result.info["second_pass"] == {
        "upscaler": upscaler,
        "width": 80,
        "height": 64,
        "steps": 2,
        "denoise": 0.5,
        "sampler": SPEC.sampler,
        "scheduler": SPEC.scheduler,
    }


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_hires_with_each_upscale_model_layout(second_pass_engine: LocalEngine, name: str) -> None:
    hires = HiresSpec(scale=2.0, denoise=0.4, steps=1, upscaler=name)
    one = _run(second_pass_engine, dataclasses.replace(SPEC, hires=hires))
    two = _run(second_pass_engine, dataclasses.replace(SPEC, hires=hires))
    assert one.image.size == (128, 96)
    assert one.image.tobytes() == two.image.tobytes()


def test_hires_same_seed_same_pixels_and_uses_its_own_settings(
    second_pass_engine: LocalEngine,
) -> None:
    hires = HiresSpec(scale=1.5, denoise=0.6, upscaler="latent-bislerp", sampler="dpmpp_2m")
    spec = dataclasses.replace(SPEC, hires=hires)
    one, two = _run(second_pass_engine, spec), _run(second_pass_engine, spec)
    assert one.image.tobytes() == two.image.tobytes()
    assert one.info["second_pass"]["steps"] == SPEC.steps
    assert one.info["second_pass"]["sampler"] == "dpmpp_2m"
    other = _run(
        second_pass_engine, dataclasses.replace(spec, hires=dataclasses.replace(hires, denoise=0.3))
    )
    assert other.image.tobytes() != one.image.tobytes()


def test_sdxl_img2img_inpaint_and_hires(second_pass_engine: LocalEngine, media_dir: Path) -> None:
    spec = dataclasses.replace(
        SPEC,
        checkpoint=SDXL_NAME,
        init_image=_source(media_dir, "xl.png", _noise_image(6)),
        mask=_source(media_dir, "xl-mask.png", _square_mask()),
        denoise=0.7,
        hires=HiresSpec(scale=1.5, denoise=0.5, steps=2, upscaler="pixel-lanczos"),
    )
    one, two = _run(second_pass_engine, spec), _run(second_pass_engine, spec)
    assert one.image.size == (96, 72)
    assert one.info["family"] == "sdxl"
    assert one.image.tobytes() == two.image.tobytes()


def test_progress_is_monotone_over_both_passes(second_pass_engine: LocalEngine) -> None:
    progress: list[float] = []
    hires = HiresSpec(scale=1.5, denoise=0.5, steps=6, upscaler="pixel-bilinear")
    _run(second_pass_engine, dataclasses.replace(SPEC, steps=3, hires=hires), progress)
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    # 3 first-pass steps and 6 second-pass steps share the range by their counts
    assert min(abs(p - 3 / 9) for p in progress) < 1e-9
    assert len(progress) == 9


def test_cancel_during_the_second_pass(second_pass_engine: LocalEngine) -> None:
    cancel = CancelToken()
    seen: list[float] = []

    def on_progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.5:  # past the first pass (4 of 8 steps)
            cancel.cancel()

    hires = HiresSpec(scale=1.5, denoise=0.5, upscaler="latent")
    with pytest.raises(GenerationCancelled):
        second_pass_engine.generate(dataclasses.replace(SPEC, hires=hires), on_progress, cancel)
    assert 0.5 < seen[-1] < 1.0
    assert _run(second_pass_engine, SPEC).image.size == (64, 48)  # the engine keeps working


def test_a_changed_init_image_fails_clearly(
    second_pass_engine: LocalEngine, media_dir: Path
) -> None:
    source = _source(media_dir, "changing.png", _noise_image(7))
    _noise_image(8).save(media_dir / source.path)
    spec = dataclasses.replace(SPEC, init_image=source, denoise=0.5)
    with pytest.raises(EngineError, match=r"'inputs/changing\.png' changed since the job"):
        _run(second_pass_engine, spec)


def test_upscale_model_errors_name_the_file(second_pass_engine: LocalEngine) -> None:
    foreign = second_pass_engine.upscale_models_dir / "foreign.pth"
    torch.save({"layers.0.weight": torch.zeros(2, 2)}, foreign)
    try:
        hires = HiresSpec(scale=2.0, upscaler="foreign.pth")
        with pytest.raises(EngineError, match=r"upscale model foreign\.pth: unknown layout"):
            _run(second_pass_engine, dataclasses.replace(SPEC, hires=hires))
    finally:
        foreign.unlink()
    missing = HiresSpec(scale=2.0, upscaler="4x-missing.pth")
    with pytest.raises(ModelNotFound, match=r"4x-missing\.pth"):
        _run(second_pass_engine, dataclasses.replace(SPEC, hires=missing))
    assert "new.safetensors" in second_pass_engine.upscale_models()


def test_invalid_second_pass_fields_are_refused(
    second_pass_engine: LocalEngine, media_dir: Path
) -> None:
    mask = _source(media_dir, "lonely-mask.png", _square_mask())
    cases = {
        "a mask needs an init image": dataclasses.replace(SPEC, mask=mask),
        "denoise must be between 0 and 1": dataclasses.replace(SPEC, denoise=1.5),
        "hires scale must be from 1 to 4": dataclasses.replace(SPEC, hires=HiresSpec(scale=5.0)),
        "unknown hires sampler": dataclasses.replace(SPEC, hires=HiresSpec(sampler="nope")),
        "unknown hires upscaler": dataclasses.replace(SPEC, hires=HiresSpec(upscaler="magic")),
    }
    for message, spec in cases.items():
        with pytest.raises(EngineError, match=message):
            _run(second_pass_engine, spec)
