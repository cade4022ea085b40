"""Brownian-tree step noise for the SDE samplers, seeded as ComfyUI seeds it.

The SDE samplers (``dpmpp_sde``, ``dpmpp_2m_sde``, ``dpmpp_3m_sde``...) draw the noise of a step
from ``sigma`` to ``sigma_next`` as the increment of one Brownian motion over that interval,
divided by the square root of its length, so the noise of a run depends on the seed but not on
how the interval is cut. The motion is a ``torchsde.BrownianTree`` over ``[sigma_min,
sigma_max]`` of the run's sigmas, with the seed as its entropy; the tree lives on the CPU (the
``_gpu`` variants of ComfyUI build it on the sampling device, which is the CPU here too).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import Tensor

Transform = Callable[[Tensor], Tensor]

# torchsde warns when a time rounds a hair past the tree's ends (it clamps them); ComfyUI gets
# the same warnings and the same noise. Set once: `catch_warnings` per step is not thread-safe.
warnings.filterwarnings("ignore", message="Should have", category=UserWarning, module="torchsde")


def _identity(value: Tensor) -> Tensor:
    return value


def _ordered(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, int]:
    return (a, b, 1) if a < b else (b, a, -1)


class BrownianTreeNoise:
    """``noise(sigma, sigma_next)`` from one seeded Brownian motion in (transformed) sigma."""

    def __init__(
        self,
        x: Tensor,
        sigma_min: Tensor | float,
        sigma_max: Tensor | float,
        seed: int,
        transform: Transform = _identity,
        on_cpu: bool = True,
    ) -> None:
        import torchsde  # the SDE samplers only; keeps torchsde out of every other import

        self.transform = transform
        self.on_cpu = on_cpu
        t0, t1, self.sign = _ordered(
            transform(torch.as_tensor(sigma_min)), transform(torch.as_tensor(sigma_max))
        )
        w0 = torch.zeros_like(x)
        if on_cpu:
            t0, t1, w0 = t0.detach().cpu(), t1.detach().cpu(), w0.detach().cpu()
        self.tree = torchsde.BrownianTree(t0, w0, t1, entropy=seed)

    def increment(self, t_from: Tensor, t_to: Tensor) -> Tensor:
        t0, t1, sign = _ordered(t_from, t_to)
        if self.on_cpu:
            w = self.tree(t0.cpu().float(), t1.cpu().float()).to(t0.dtype).to(t0.device)
        else:
            w = self.tree(t0, t1)
        return w * (self.sign * sign)

    def __call__(self, sigma: Tensor, sigma_next: Tensor) -> Tensor:
        t0 = self.transform(torch.as_tensor(sigma))
        t1 = self.transform(torch.as_tensor(sigma_next))
        return self.increment(t0, t1) / (t1 - t0).abs().sqrt()
