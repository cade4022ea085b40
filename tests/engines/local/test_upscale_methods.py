"""Latent and pixel resizing as ComfyUI's common_upscale does it (bislerp, lanczos, modes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from gaze.engines.local.upscale_methods import UPSCALER_METHODS, resized
from gaze.generation_spec import LATENT_UPSCALERS, PIXEL_UPSCALERS


def test_every_latent_and_pixel_upscaler_has_a_method_that_runs() -> None:
    assert set(UPSCALER_METHODS) == set(LATENT_UPSCALERS) | set(PIXEL_UPSCALERS)
    latent = torch.randn(1, 4, 6, 10, generator=torch.Generator().manual_seed(0))
    image = torch.rand(1, 3, 48, 80, generator=torch.Generator().manual_seed(1))
    for upscaler, method in UPSCALER_METHODS.items():
        samples = latent if upscaler in LATENT_UPSCALERS else image
        out = resized(samples, 15, 9, method)
        assert out.shape == (1, samples.shape[1], 9, 15), upscaler
        assert torch.isfinite(out).all(), upscaler


def test_latent_nearest_exact_repeats_cells() -> None:
    latent = torch.arange(6.0).reshape(1, 1, 2, 3)
    doubled = resized(latent, 6, 4, "nearest-exact")
    assert torch.equal(doubled, latent.repeat_interleave(2, -1).repeat_interleave(2, -2))


def test_bislerp_keeps_length_where_bilinear_shortens() -> None:
    latent = torch.zeros(1, 4, 1, 2)
    latent[0, 0, 0, 0] = 1.0  # e1, then e2: orthogonal unit vectors
    latent[0, 1, 0, 1] = 1.0
    out = resized(latent, 4, 1, "bislerp")[0, :, 0, :]
    # positions 0, 0.25, 0.75, 1 (bilinear's, clamped at the ends)
    angles = [0.0, 0.25 * math.pi / 2, 0.75 * math.pi / 2, math.pi / 2]
    for column, angle in enumerate(angles):
        expected = torch.tensor([math.cos(angle), math.sin(angle), 0.0, 0.0])
        assert torch.allclose(out[:, column], expected, atol=1e-6)
    bilinear = resized(latent, 4, 1, "bilinear")[0, :, 0, 1]
    assert bilinear.norm() < 0.8


def test_bislerp_of_parallel_and_opposite_neighbours() -> None:
    latent = torch.tensor([[1.0, 2.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]).reshape(1, 4, 1, 2)
    out = resized(latent, 4, 1, "bislerp")[0, 0, 0]
    assert torch.equal(out, torch.tensor([1.0, 1.0, 1.0, 2.0]))  # parallel: the first one
    opposite = torch.tensor([[1.0, -1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]).reshape(1, 4, 1, 2)
    out = resized(opposite, 4, 1, "bislerp")[0, 0, 0]
    assert torch.allclose(out, torch.tensor([1.0, 0.5, -0.5, -1.0]))  # opposite: a lerp


def test_bislerp_of_a_constant_field_is_constant() -> None:
    latent = torch.tensor([0.3, -1.2, 0.7, 2.0]).reshape(1, 4, 1, 1).expand(1, 4, 5, 7)
    out = resized(latent.contiguous(), 11, 8, "bislerp")
    assert torch.equal(out, latent[:, :, :1, :1].expand(1, 4, 8, 11))


@pytest.mark.parametrize("size", [(30, 20), (96, 64)])
def test_lanczos_is_pils_on_eight_bit_images(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(4)
    array = (rng.integers(0, 2, (40, 48, 3)) * 255).astype(np.uint8)
    pixels = torch.from_numpy(array.astype(np.float32) / 255.0).movedim(-1, 0)[None]
    out = resized(pixels, *size, "lanczos")
    expected = np.asarray(Image.fromarray(array).resize(size, Image.Resampling.LANCZOS))
    assert np.array_equal((out[0].movedim(0, -1).numpy() * 255.0).round(), expected)
