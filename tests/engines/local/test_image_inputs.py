"""The shared init image and mask preparation (gaze.engines.image_inputs) on real files."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gaze.engines.base import EngineError
from gaze.engines.image_inputs import (
    grown_mask,
    load_source,
    prepared_init_image,
    prepared_mask,
)
from gaze.generation_spec import GenerationSpec, SourceImage

SPEC = GenerationSpec(positive="p", negative="", checkpoint="c.safetensors", width=64, height=32)


def _stored(media: Path, name: str, image: Image.Image) -> SourceImage:
    path = media / "inputs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return SourceImage(f"inputs/{name}", hashlib.sha256(path.read_bytes()).hexdigest())


def _halves(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


def test_load_source_checks_the_content_hash(tmp_path: Path) -> None:
    source = _stored(tmp_path, "a.png", Image.new("RGB", (8, 8), (1, 2, 3)))
    assert load_source(tmp_path, source).getpixel((0, 0)) == (1, 2, 3)
    (tmp_path / source.path).write_bytes(b"not the same file")
    with pytest.raises(EngineError, match=r"inputs/a\.png.*changed since the job was queued"):
        load_source(tmp_path, source)


def test_missing_outside_and_undecodable_sources_are_named(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"inputs/gone\.png.*cannot be read"):
        load_source(tmp_path, SourceImage("inputs/gone.png", "0" * 64))
    with pytest.raises(EngineError, match="outside the media folder"):
        load_source(tmp_path, SourceImage("../elsewhere.png", "0" * 64))
    junk = tmp_path / "inputs" / "junk.png"
    junk.parent.mkdir(parents=True)
    junk.write_bytes(b"plain text")
    digest = hashlib.sha256(b"plain text").hexdigest()
    with pytest.raises(EngineError, match="not a readable image"):
        load_source(tmp_path, SourceImage("inputs/junk.png", digest))


@pytest.mark.parametrize("resize", [None, "stretch", "crop", "pad"])
def test_init_image_is_rgb_at_the_job_size(tmp_path: Path, resize: str | None) -> None:
    source = _stored(tmp_path, "rgba.png", Image.new("RGBA", (40, 40), (10, 20, 30, 0)))
    spec = dataclasses.replace(SPEC, init_image=source, resize=resize)
    image = prepared_init_image(spec, tmp_path)
    assert (image.mode, image.size) == ("RGB", (64, 32))


def test_resize_modes_place_the_image_differently(tmp_path: Path) -> None:
    source = _stored(tmp_path, "halves.png", _halves((32, 32)))
    specs = {
        mode: dataclasses.replace(SPEC, init_image=source, resize=mode)
        for mode in ("stretch", "crop", "pad")
    }
    prepared = {mode: prepared_init_image(spec, tmp_path) for mode, spec in specs.items()}
    # stretch: the halves fill the width; crop: the middle rows, still split at the centre;
    # pad: the square fitted in the middle (16 px of grey on either side).
    assert prepared["stretch"].getpixel((2, 16)) == (255, 0, 0)
    assert prepared["stretch"].getpixel((61, 16)) == (0, 0, 255)
    assert prepared["crop"].getpixel((2, 2)) == (255, 0, 0)
    assert prepared["crop"].getpixel((61, 29)) == (0, 0, 255)
    assert prepared["pad"].getpixel((4, 16)) == (128, 128, 128)
    assert prepared["pad"].getpixel((20, 16)) == (255, 0, 0)
    assert prepared["pad"].getpixel((44, 16)) == (0, 0, 255)
    assert prepared["pad"].getpixel((60, 16)) == (128, 128, 128)


def test_mask_reads_the_red_channel_and_pads_white(tmp_path: Path) -> None:
    mask = Image.new("RGB", (32, 32), (0, 255, 255))
    mask.paste((255, 0, 0), (8, 8, 24, 24))
    spec = dataclasses.replace(
        SPEC,
        init_image=_stored(tmp_path, "init.png", Image.new("RGB", (32, 32))),
        mask=_stored(tmp_path, "mask.png", mask),
        resize="pad",
        mask_blur=0,
        mask_grow=0,
    )
    prepared = prepared_mask(spec, tmp_path)
    assert prepared is not None and (prepared.mode, prepared.size) == ("L", (64, 32))
    values = np.asarray(prepared)
    assert values[16, 32] == 255  # the red square, in the middle
    assert values[2, 18] == 0  # cyan (no red) is kept
    assert values[16, 4] == 255 and values[16, 60] == 255  # the padding is repainted


def test_mask_grows_then_blurs(tmp_path: Path) -> None:
    square = Image.new("L", (64, 32), 0)
    square.paste(255, (28, 12, 36, 20))
    base = dataclasses.replace(
        SPEC,
        init_image=_stored(tmp_path, "init.png", Image.new("RGB", (64, 32))),
        mask=_stored(tmp_path, "square.png", square),
    )

    def prepared(grow: int, blur: int) -> np.ndarray:
        spec = dataclasses.replace(base, mask_grow=grow, mask_blur=blur)
        return np.asarray(prepared_mask(spec, tmp_path))

    sharp = prepared(0, 0)
    assert np.array_equal(sharp, np.asarray(square))
    grown = prepared(3, 0)
    assert np.array_equal(grown[9:23, 25:39], np.full((14, 14), 255))
    assert grown[8, 24] == 0 and grown[9, 24] == 0 and grown[8, 25] == 0
    assert int(grown.astype(bool).sum()) == 14 * 14
    blurred = prepared(3, 2)
    assert 0 < blurred[16, 23] < 255  # soft just outside the grown square
    assert blurred[16, 32] == 255 and blurred[0, 0] == 0


def test_grown_mask_is_a_square_dilation() -> None:
    dot = Image.new("L", (9, 9), 0)
    dot.putpixel((4, 4), 200)
    grown = np.asarray(grown_mask(dot, 2))
    expected = np.zeros((9, 9), np.uint8)
    expected[2:7, 2:7] = 200
    assert np.array_equal(grown, expected)


def test_no_mask_gives_none(tmp_path: Path) -> None:
    spec = dataclasses.replace(
        SPEC, init_image=_stored(tmp_path, "init.png", Image.new("RGB", (64, 32)))
    )
    assert prepared_mask(spec, tmp_path) is None
