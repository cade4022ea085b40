"""ESRGAN-family upscale models: every layout, scale and file format loads and runs; tiling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from devkit.tiny_upscale_model import UPSCALE_LAYOUTS, write_tiny_upscale_model
from gaze.engines.base import EngineError
from gaze.engines.local.upscale_models.loading import load_upscale_model
from gaze.engines.local.upscale_models.tiled import upscaled_image

IMAGE = torch.rand(1, 3, 24, 40, generator=torch.Generator().manual_seed(5))


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("layout", UPSCALE_LAYOUTS)
def test_each_layout_loads_and_enlarges_by_its_scale(
    tmp_path: Path, layout: str, scale: int, suffix: str
) -> None:
    path = write_tiny_upscale_model(tmp_path / f"model{suffix}", layout, scale, seed=scale)
    model = load_upscale_model(path, path.name)
    assert model.scale == scale
    assert model.layout == ("compact" if layout == "compact" else "esrgan")
    out = upscaled_image(model, IMAGE)
    assert out.shape == (1, 3, 24 * scale, 40 * scale)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    other = upscaled_image(model, IMAGE.flip(-1))
    assert not torch.equal(out, other)  # the output depends on the image


def _old_to_new_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """ESRGAN's 4x names renamed by hand to BasicSR's (the published correspondence)."""
    fixed = {"model.0": "conv_first", "model.1.sub.1": "conv_body", "model.3": "conv_up1"}
    fixed |= {"model.6": "conv_up2", "model.8": "conv_hr", "model.10": "conv_last"}
    renamed = {}
    for key, value in state.items():
        prefix, kind = key.rsplit(".", 1)
        dense = re.fullmatch(r"model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0", prefix)
        if dense:
            renamed[f"body.{dense[1]}.rdb{dense[2]}.conv{dense[3]}.{kind}"] = value
        else:
            renamed[f"{fixed[prefix]}.{kind}"] = value
    return renamed


def test_old_and_new_rrdbnet_names_give_the_same_network(tmp_path: Path) -> None:
    old = write_tiny_upscale_model(tmp_path / "old.safetensors", "esrgan-old", 4, seed=9)
    new = tmp_path / "new.safetensors"
    save_file(_old_to_new_names(load_file(old)), new)
    from_old = upscaled_image(load_upscale_model(old, "old"), IMAGE)
    from_new = upscaled_image(load_upscale_model(new, "new"), IMAGE)
    assert torch.equal(from_old, from_new)


def test_compact_adds_the_nearest_upscaled_image(tmp_path: Path) -> None:
    path = write_tiny_upscale_model(tmp_path / "compact.safetensors", "compact", 2)
    save_file({key: torch.zeros_like(value) for key, value in load_file(path).items()}, path)
    out = upscaled_image(load_upscale_model(path, "zeros"), IMAGE)
    assert torch.equal(out, IMAGE.repeat_interleave(2, -1).repeat_interleave(2, -2))


def test_tiles_blend_back_into_the_whole_image(tmp_path: Path) -> None:
    path = write_tiny_upscale_model(tmp_path / "compact.pth", "compact", 2)
    state = torch.load(path, weights_only=True)["params"]
    torch.save({"params": {key: torch.zeros_like(value) for key, value in state.items()}}, path)
    model = load_upscale_model(path, "zeros")
    image = torch.rand(1, 3, 56, 72, generator=torch.Generator().manual_seed(6))
    whole = upscaled_image(model, image)
    tiled = upscaled_image(model, image, tile=24, overlap=6)
    assert torch.allclose(tiled, whole, atol=1e-6)

    real = load_upscale_model(write_tiny_upscale_model(tmp_path / "r.pth", "esrgan-new", 4), "r")
    whole = upscaled_image(real, image[..., :40, :40])
    tiled = upscaled_image(real, image[..., :40, :40], tile=32, overlap=8)
    assert tiled.shape == whole.shape == (1, 3, 160, 160)
    assert not torch.equal(tiled, whole)  # seams are feathered, not cut


def test_unknown_layouts_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    foreign = tmp_path / "swinir.safetensors"
    save_file({"layers.0.attn.qkv.weight": torch.zeros(3, 3)}, foreign)
    with pytest.raises(EngineError, match=r"swinir\.safetensors: unknown layout"):
        load_upscale_model(foreign, "swinir.safetensors")
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(EngineError, match=r"broken\.pth cannot be read"):
        load_upscale_model(broken, "broken.pth")
    path = write_tiny_upscale_model(tmp_path / "cut.safetensors", "esrgan-new", 4)
    state = load_file(path)
    del state["conv_hr.weight"]
    save_file(state, path)
    with pytest.raises(EngineError, match=r"cut\.safetensors: weights do not fit"):
        load_upscale_model(path, "cut.safetensors")


def test_pickled_code_is_not_run(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"conv_first.weight": torch.zeros(1), "hook": print}, path)
    with pytest.raises(EngineError, match=r"evil\.pth cannot be read"):
        load_upscale_model(path, "evil.pth")
