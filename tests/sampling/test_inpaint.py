"""The noise-mask denoiser (ComfyUI's KSamplerX0Inpaint rule) and the mask's latent size."""

from __future__ import annotations

import torch
from torch import Tensor

from gaze.sampling.inpaint import NoiseMaskedDenoiser, latent_noise_mask


class RecordingModel:
    """Returns ``x * 0.5 + 1`` and remembers what it was called with."""

    def __init__(self) -> None:
        self.inputs: list[Tensor] = []

    def __call__(self, x: Tensor, sigma: Tensor) -> Tensor:
        self.inputs.append(x.clone())
        return x * 0.5 + 1.0


def _tensors() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    generator = torch.Generator().manual_seed(3)
    latent, noise, x = (torch.randn(2, 4, 6, 5, generator=generator) for _ in range(3))
    mask = torch.zeros(2, 1, 6, 5)
    mask[:, :, 1:4, 2:5] = 1.0
    mask[:, :, 0, 0] = 0.25
    return latent, noise, x, mask


def test_kept_region_sees_the_noised_latent_and_returns_the_latent() -> None:
    latent, noise, x, mask = _tensors()
    model = RecordingModel()
    sigma = torch.tensor([2.5, 2.5])
    denoised = NoiseMaskedDenoiser(model, latent, noise, mask)(x, sigma)

    kept = (noise * 2.5 + latent) * (1 - mask)
    assert torch.allclose(model.inputs[0], x * mask + kept)
    keep = (mask == 0).expand_as(latent)
    repaint = (mask == 1).expand_as(latent)
    assert torch.equal(denoised[keep], latent[keep])
    assert torch.equal(model.inputs[0][keep], (noise * 2.5 + latent)[keep])
    assert torch.equal(denoised[repaint], (x * 0.5 + 1.0)[repaint])
    # a partly masked cell mixes both
    expected = (x[:, :, 0, 0] * 0.25 + (noise * 2.5 + latent)[:, :, 0, 0] * 0.75) * 0.5 + 1.0
    assert torch.allclose(denoised[:, :, 0, 0], expected * 0.25 + latent[:, :, 0, 0] * 0.75)


def test_each_batch_item_uses_its_own_sigma() -> None:
    latent, noise, x, mask = _tensors()
    model = RecordingModel()
    NoiseMaskedDenoiser(model, latent, noise, torch.zeros_like(mask))(x, torch.tensor([1.0, 3.0]))
    assert torch.allclose(model.inputs[0][0], noise[0] * 1.0 + latent[0])
    assert torch.allclose(model.inputs[0][1], noise[1] * 3.0 + latent[1])


def test_mask_reaches_the_latent_size_bilinearly() -> None:
    pixels = torch.zeros(64, 48)
    pixels[:, 24:] = 1.0
    small = latent_noise_mask(pixels, (1, 4, 8, 6))
    assert small.shape == (1, 1, 8, 6)
    assert torch.equal(small[0, 0, :, :3], torch.zeros(8, 3))
    assert torch.equal(small[0, 0, :, 3:], torch.ones(8, 3))
    ramp = torch.linspace(0, 1, 16).repeat(16, 1)
    halved = latent_noise_mask(ramp, (1, 4, 8, 8))
    expected = torch.nn.functional.interpolate(ramp[None, None], size=(8, 8), mode="bilinear")
    assert torch.equal(halved, expected)
