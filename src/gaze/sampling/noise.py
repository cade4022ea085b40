"""The noise a run draws, as ComfyUI draws it, so a seed gives the same image on every backend.

- The start noise: ``torch.randn`` of the latent's shape from a CPU generator seeded with the
  seed, whatever device samples (ComfyUI's ``prepare_noise``).
- The step noise of ancestral samplers: a generator of its own, seeded with the seed plus one
  (ComfyUI adds the one on the CPU so the step noise is not the start noise again); each call
  draws one tensor of the latent's shape.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

SEED_MODULUS = 2**64

NoiseSampler = Callable[[Tensor, Tensor], Tensor]
"""``noise(sigma, sigma_next)``: unit-variance noise for one step."""


def start_noise(shape: torch.Size | tuple[int, ...], seed: int) -> Tensor:
    """The start noise of a run (float32, on the CPU)."""
    generator = torch.Generator(device="cpu").manual_seed(seed % SEED_MODULUS)
    return torch.randn(shape, generator=generator, dtype=torch.float32, device="cpu")


def step_noise_seed(seed: int, device: torch.device) -> int:
    """The seed of the ancestral step noise: ``seed + 1`` on the CPU, as ComfyUI does it."""
    return (seed + 1) % SEED_MODULUS if device.type == "cpu" else seed % SEED_MODULUS


def ancestral_noise(x: Tensor, seed: int) -> NoiseSampler:
    """Step noise for ``x`` from its own generator (see the module docstring)."""
    generator = torch.Generator(device=x.device).manual_seed(step_noise_seed(seed, x.device))

    def draw(sigma: Tensor, sigma_next: Tensor) -> Tensor:
        return torch.randn(
            x.size(), dtype=x.dtype, layout=x.layout, device=x.device, generator=generator
        )

    return draw
