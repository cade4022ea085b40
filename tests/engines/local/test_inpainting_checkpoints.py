"""Inpainting checkpoints (a 9-channel UNet: latent, mask, masked image) on the embedded engine,
fed as ComfyUI feeds them: the mask at latent size rounded to 0/1 and the pass's start latent, or
ones and a blank image's latent when there is no mask."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from gaze.engines.base import CancelToken, GenerationResult
from gaze.engines.local.checkpoint_config import UnsupportedCheckpoint, detect_family
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint
from gaze.engines.local.vae_pixels import encode_pixels, pixels_of
from gaze.generation_spec import GenerationSpec, HiresSpec
from gaze.sampling.inpaint import BLANK_IMAGE_LATENT, inpaint_model_input, latent_noise_mask
from tests.engines.local.local_engine_constants import TEST_THREADS
from tests.engines.local.source_images import box_mask, noise_image, stored_source

pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

SD1_INPAINT = "inpaint/sd1-inpainting.safetensors"
SDXL_INPAINT = "inpaint/sdxl-inpainting.safetensors"
SPEC = GenerationSpec(
    positive="a photo of a cat",
    negative="blurry",
    checkpoint=SD1_INPAINT,
    width=64,
    height=48,
    steps=3,
    cfg=5.0,
    seed=5,
)


@pytest.fixture(scope="module")
def inpaint_engine(
    tmp_path_factory: pytest.TempPathFactory, media_dir: Path
) -> Iterator[LocalEngine]:
    root = tmp_path_factory.mktemp("inpaint-models")
    write_tiny_checkpoint(root / "checkpoints" / SD1_INPAINT, "sd1", seed=21, inpainting=True)
    write_tiny_checkpoint(root / "checkpoints" / SDXL_INPAINT, "sdxl", seed=22, inpainting=True)
    cache = tmp_path_factory.mktemp("inpaint-cache")
    yield LocalEngine(root, cache, device="cpu", threads=TEST_THREADS, media_dir=media_dir)


_source, _noise_image = stored_source, noise_image


def _mask() -> Image.Image:
    return box_mask((16, 16, 48, 40))


class UNetInputs:
    """The sample tensors the UNet is called with (a forward pre-hook on the real model)."""

    def __init__(self, unet: Any) -> None:
        self.samples: list[torch.Tensor] = []
        self._handle = unet.register_forward_pre_hook(self._record, with_kwargs=True)

    def _record(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.samples.append(args[0].detach().clone())

    def close(self) -> None:
        self._handle.remove()


def _run(engine: LocalEngine, spec: GenerationSpec) -> tuple[GenerationResult, UNetInputs]:
    engine.generate(dataclasses.replace(spec, steps=1), lambda _: None, CancelToken())  # load
    assert engine.last_loaded is not None
    inputs = UNetInputs(engine.last_loaded.loaded.pipeline.unet)
    try:
        result = engine.generate(spec, lambda _: None, CancelToken())
    finally:
        inputs.close()
    return result, inputs


def test_nine_input_channels_are_an_inpainting_checkpoint_and_eight_are_refused() -> None:
    names = {
        "model.diffusion_model.input_blocks.0.0.weight": (32, 9, 3, 3),
        "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (49408, 32),
    }
    assert detect_family(names) == "sd1"
    names["model.diffusion_model.input_blocks.0.0.weight"] = (32, 8, 3, 3)
    with pytest.raises(UnsupportedCheckpoint, match="8 input channels"):
        detect_family(names)


def test_the_extra_channels_without_and_with_a_mask() -> None:
    latent = torch.randn(1, 4, 6, 8)
    blank = inpaint_model_input(latent, None)
    assert blank.shape == (1, 5, 6, 8)
    assert torch.equal(blank[:, 0], torch.ones(1, 6, 8))
    for channel, value in enumerate(BLANK_IMAGE_LATENT, start=1):
        assert torch.allclose(blank[:, channel], torch.full((1, 6, 8), value))
    mask = torch.zeros(48, 64)
    mask[:, 32:] = 0.7  # rounds to 1
    masked = inpaint_model_input(latent, mask)
    assert torch.equal(masked[:, 1:], latent)
    assert masked[0, 0, :, :4].eq(0).all() and masked[0, 0, :, 4:].eq(1).all()


@pytest.mark.parametrize("checkpoint", [SD1_INPAINT, SDXL_INPAINT])
def test_text_to_image_feeds_ones_and_a_blank_image(
    inpaint_engine: LocalEngine, checkpoint: str
) -> None:
    spec = dataclasses.replace(SPEC, checkpoint=checkpoint)
    result, inputs = _run(inpaint_engine, spec)
    assert result.image.size == (64, 48)
    assert inputs.samples and all(sample.shape[1] == 9 for sample in inputs.samples)
    extra = inputs.samples[0][:, 4:]
    assert torch.equal(extra[:, 0], torch.ones_like(extra[:, 0]))
    assert torch.allclose(extra[0, 1:, 0, 0], torch.tensor(BLANK_IMAGE_LATENT))


def test_inpainting_feeds_the_rounded_mask_and_the_init_latent(
    inpaint_engine: LocalEngine, media_dir: Path
) -> None:
    init = _noise_image(3)
    spec = dataclasses.replace(
        SPEC,
        init_image=_source(media_dir, "init.png", init),
        mask=_source(media_dir, "mask.png", _mask()),
        mask_blur=0,
        mask_grow=0,
        denoise=0.8,
    )
    result, inputs = _run(inpaint_engine, spec)
    assert result.image.size == (64, 48)
    assert engine_latent_matches(inpaint_engine, init, inputs.samples[0][:1, 5:])
    fed_mask = inputs.samples[0][:1, 4:5]
    expected = latent_noise_mask(torch.from_numpy(np.asarray(_mask()) / 255.0), (1, 4, 6, 8))
    assert torch.equal(fed_mask, expected.round().to(fed_mask.dtype))
    assert fed_mask.eq(1).any() and fed_mask.eq(0).any()


def engine_latent_matches(engine: LocalEngine, init: Image.Image, fed: torch.Tensor) -> bool:
    assert engine.last_loaded is not None
    with torch.inference_mode():
        latent = encode_pixels(engine.last_loaded.loaded.pipeline.vae, pixels_of(init))
    return bool(torch.allclose(latent.to(fed.dtype), fed, atol=1e-6))


def test_the_mask_steers_an_inpainting_model(inpaint_engine: LocalEngine, media_dir: Path) -> None:
    """The same job with the mask fed and with it hidden (a blank concat) differ: the model
    sees it, not only the noise mask around it."""
    spec = dataclasses.replace(
        SPEC,
        init_image=_source(media_dir, "steer.png", _noise_image(4)),
        mask=_source(media_dir, "steer-mask.png", _mask()),
        denoise=1.0,
    )
    inpainted, _ = _run(inpaint_engine, spec)
    again, _ = _run(inpaint_engine, spec)
    assert inpainted.image.tobytes() == again.image.tobytes()
    img2img, _ = _run(inpaint_engine, dataclasses.replace(spec, mask=None))
    assert inpainted.image.tobytes() != img2img.image.tobytes()


def test_a_hires_pass_feeds_the_upscaled_latent(
    inpaint_engine: LocalEngine, media_dir: Path
) -> None:
    spec = dataclasses.replace(
        SPEC,
        init_image=_source(media_dir, "hires.png", _noise_image(5)),
        mask=_source(media_dir, "hires-mask.png", _mask()),
        denoise=0.7,
        hires=HiresSpec(scale=1.5, denoise=0.5, steps=2),
    )
    result, inputs = _run(inpaint_engine, spec)
    assert result.image.size == (96, 72)
    shapes = {tuple(sample.shape[1:]) for sample in inputs.samples}
    assert shapes == {(9, 6, 8), (9, 9, 12)}
