"""img2img, inpainting and each kind of hires pass on both tiny checkpoints (SD1 and SDXL): each
runs, gives the expected size, the same pixels twice, and does what its kind says."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from devkit.tiny_upscale_model import write_tiny_upscale_model
from gaze.engines.base import CancelToken, GenerationResult
from gaze.engines.local.engine import LocalEngine
from gaze.generation_spec import GenerationSpec, HiresSpec
from tests.engines.local.local_engine_constants import SD1_NAME, SDXL_NAME, TEST_THREADS
from tests.engines.local.model_folders import models_with_checkpoints
from tests.engines.local.source_images import box_mask, noise_image, stored_source

pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

CHECKPOINTS = {"sd1": SD1_NAME, "sdxl": SDXL_NAME}
UPSCALE_MODEL = "esrgan-new-x2.pth"
BASE = GenerationSpec(
    positive="a lighthouse on a cliff",
    negative="blurry",
    checkpoint=SD1_NAME,
    width=64,
    height=48,
    steps=3,
    cfg=5.0,
    seed=4242,
)


@pytest.fixture(scope="module")
def both_engine(
    models_dir: Path, cache_dir: Path, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalEngine]:
    """An engine over both tiny checkpoints, a tiny 2x upscale model and a media folder."""
    root = models_with_checkpoints(models_dir, tmp_path_factory.mktemp("sdxl-second-pass-models"))
    write_tiny_upscale_model(root / "upscale_models" / UPSCALE_MODEL, "esrgan-new", 2, seed=3)
    yield LocalEngine(root, cache_dir, device="cpu", threads=TEST_THREADS, media_dir=media_dir)


source = stored_source


def init_picture(size: tuple[int, int] = (64, 48)) -> Image.Image:
    return noise_image(8, size)


def right_half_mask() -> Image.Image:
    return box_mask((32, 0, 64, 48))


def run(engine: LocalEngine, spec: GenerationSpec) -> GenerationResult:
    return engine.generate(spec, lambda fraction: None, CancelToken())


def pixels(result: GenerationResult) -> np.ndarray:
    return np.asarray(result.image.convert("RGB"), dtype=np.float64)


def run_twice(engine: LocalEngine, spec: GenerationSpec) -> GenerationResult:
    one, two = run(engine, spec), run(engine, spec)
    assert one.image.tobytes() == two.image.tobytes(), "same spec, same seed: same pixels"
    return one


@pytest.mark.parametrize("family", sorted(CHECKPOINTS))
def test_img2img_runs_at_the_init_images_size_and_follows_it(
    both_engine: LocalEngine, media_dir: Path, family: str
) -> None:
    checkpoint = CHECKPOINTS[family]
    init = source(media_dir, f"{family}-init.png", init_picture())
    spec = dataclasses.replace(BASE, checkpoint=checkpoint, init_image=init, denoise=0.4)
    result = run_twice(both_engine, spec)
    assert result.image.size == (64, 48)
    assert result.info["family"] == family
    plain = run(both_engine, dataclasses.replace(BASE, checkpoint=checkpoint))
    # Random weights: the VAE's round trip (denoise 0), not the init picture, is what a light
    # img2img stays near, nearer than a text-to-image of the same seed.
    target = pixels(run(both_engine, dataclasses.replace(spec, denoise=0.0)))
    assert np.abs(pixels(result) - target).mean() < np.abs(pixels(plain) - target).mean()


@pytest.mark.parametrize("family", sorted(CHECKPOINTS))
def test_inpainting_repaints_the_masked_half_only(
    both_engine: LocalEngine, media_dir: Path, family: str
) -> None:
    checkpoint = CHECKPOINTS[family]
    init = source(media_dir, f"{family}-inpaint.png", init_picture())
    mask = source(media_dir, f"{family}-mask.png", right_half_mask())
    kept = dataclasses.replace(BASE, checkpoint=checkpoint, init_image=init, denoise=0.0)
    inpainted = dataclasses.replace(kept, mask=mask, denoise=1.0, mask_blur=0, mask_grow=0)
    unmasked = dataclasses.replace(kept, denoise=1.0)
    round_trip, result = run(both_engine, kept), run_twice(both_engine, inpainted)
    free = run(both_engine, unmasked)
    assert result.image.size == (64, 48)

    def left_change(other: GenerationResult) -> float:  # columns far from the mask's edge
        return float(np.abs(pixels(other)[:, :20] - pixels(round_trip)[:, :20]).mean())

    def right_change(other: GenerationResult) -> float:
        return float(np.abs(pixels(other)[:, 44:] - pixels(round_trip)[:, 44:]).mean())

    # The VAE decoder's mid-block attention spreads every latent pixel over the whole image,
    # so "stays" is relative: nearer the init than the same job without a mask (which, at
    # denoise 1, equals the masked job where a mask is ignored).
    assert left_change(result) < left_change(free) * 0.85, "outside the mask the init stays"
    assert right_change(result) > left_change(result), "inside it is repainted"


@pytest.mark.parametrize("family", sorted(CHECKPOINTS))
@pytest.mark.parametrize("upscaler", ["latent", "latent-bislerp", "pixel-lanczos", UPSCALE_MODEL])
def test_each_kind_of_hires_pass_runs_at_the_scaled_size(
    both_engine: LocalEngine, family: str, upscaler: str
) -> None:
    checkpoint = CHECKPOINTS[family]
    hires = HiresSpec(scale=1.5, denoise=0.5, steps=2, upscaler=upscaler)
    result = run_twice(both_engine, dataclasses.replace(BASE, checkpoint=checkpoint, hires=hires))
    assert result.image.size == (96, 72)
    assert result.info["family"] == family
    assert result.info["second_pass"]["upscaler"] == upscaler
    assert (result.info["second_pass"]["width"], result.info["second_pass"]["height"]) == (96, 72)


@pytest.mark.parametrize("family", sorted(CHECKPOINTS))
def test_an_init_image_of_another_size_is_cropped_then_hires_scales_it(
    both_engine: LocalEngine, media_dir: Path, family: str
) -> None:
    init = source(media_dir, f"{family}-odd.png", init_picture((70, 53)))
    spec = dataclasses.replace(
        BASE,
        checkpoint=CHECKPOINTS[family],
        width=64,
        height=48,
        init_image=init,
        resize="crop",
        denoise=0.6,
        hires=HiresSpec(scale=2.0, denoise=0.3, steps=2, upscaler="pixel-bicubic"),
    )
    assert run_twice(both_engine, spec).image.size == (128, 96)
