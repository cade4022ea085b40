"""Inpainting with a noise mask, as ComfyUI's ``SetLatentNoiseMask`` + KSampler do it.

The mask (1 = repaint) is brought to the latent's size bilinearly (ComfyUI's ``reshape_mask``).
The denoiser the sampler calls is wrapped (ComfyUI's ``KSamplerX0Inpaint``): before each model
call the kept region of ``x`` is replaced by the init latent noised to the current sigma with the
run's start noise (``latent + noise * sigma``), and after it the kept region of ``denoised`` is the
init latent itself. Nothing is blended after the last step: the sampler's own arithmetic brings
the kept region back to the init latent (to float rounding).

Inpainting checkpoints (a 9-channel UNet) also take, beside the noisy latent, the mask and the
masked image's latent (:func:`inpaint_model_input`, ComfyUI's ``concat`` conditioning for such
models): the mask at the latent's size rounded to 0/1, then the pass's start latent; without a
mask, ones and the latent of a blank image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from gaze.sampling.core import Denoiser


def latent_noise_mask(mask: Tensor, latent_shape: torch.Size | tuple[int, ...]) -> Tensor:
    """`mask` (``(h, w)`` or ``(b, 1, h, w)``, values 0..1) at the latent's height and width,
    shaped ``(b, 1, h, w)`` to broadcast over the latent's channels."""
    as_batch = mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).float()
    return torch.nn.functional.interpolate(as_batch, size=tuple(latent_shape[2:]), mode="bilinear")


@dataclass(frozen=True)
class NoiseMaskedDenoiser:
    """``model`` repainting only where ``mask`` is 1 (see the module docstring)."""

    model: Denoiser
    latent: Tensor
    """The init latent, in the model's (scaled) latent space."""
    noise: Tensor
    """The run's start noise (unit variance, as drawn from the seed)."""
    mask: Tensor
    """1 = repaint, 0 = keep; at the latent's size (see :func:`latent_noise_mask`)."""

    def __call__(self, x: Tensor, sigma: Tensor) -> Tensor:
        keep = 1.0 - self.mask
        per_item = sigma.reshape(sigma.shape[:1] + (1,) * (self.noise.ndim - 1))
        noised_latent = self.noise * per_item + self.latent
        denoised = self.model(x * self.mask + noised_latent * keep, sigma)
        return denoised * self.mask + self.latent * keep


BLANK_IMAGE_LATENT = (0.8223, -0.6876, 0.6364, 0.1380)
"""An all-black image in SD's (scaled) latent space, per channel (ComfyUI's values)."""


def inpaint_model_input(latent: Tensor, mask: Tensor | None) -> Tensor:
    """The 5 channels an inpainting UNet takes after the noisy latent: the mask (1 = repaint)
    and the masked image's latent, ``latent`` being the pass's start; see the module docstring."""
    if mask is None:
        ones = torch.ones_like(latent[:, :1])
        blank = torch.tensor(BLANK_IMAGE_LATENT, dtype=latent.dtype, device=latent.device)
        return torch.cat([ones, blank.reshape(1, -1, 1, 1).expand_as(latent)], dim=1)
    rounded = latent_noise_mask(mask, latent.shape).round().to(latent.dtype)
    return torch.cat([rounded.expand(latent.shape[0], -1, -1, -1), latent], dim=1)
