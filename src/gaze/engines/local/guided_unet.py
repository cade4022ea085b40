"""The UNet with classifier-free guidance, as the denoiser the sampling core calls.

ComfyUI's model call, step by step: the latent is scaled to unit variance
(``model_sampling.calculate_input``), the sigma becomes the nearest training timestep, the UNet
runs once for the positive and once for the negative conditioning (batched), each output becomes
a ``denoised`` (EPS or v-prediction), and guidance mixes them:
``uncond + (cond - uncond) * cfg``. At ``cfg == 1`` the negative pass is skipped (the result is
the positive one either way). Contexts of different lengths (prompts of different chunk counts)
are repeated to a common length, which leaves attention unchanged.

SDXL also conditions on the pooled text embedding and six size numbers (height, width, crop top,
crop left, target height, target width): the image's own size and no crop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from gaze.sampling.model_sampling import DiscreteModelSampling


@dataclass(frozen=True)
class TextConditioning:
    """One prompt's encoder output: the context sequence and (SDXL) the pooled embedding."""

    context: Tensor
    pooled: Tensor | None = None


def _repeated_to(context: Tensor, length: int) -> Tensor:
    return context.repeat(1, length // context.shape[1], 1)


@dataclass
class GuidedUNet:
    """``denoised = model(x, sigma)`` for the sampling core (see the module docstring)."""

    unet: Any
    model_sampling: DiscreteModelSampling
    positive: TextConditioning
    negative: TextConditioning
    cfg: float
    image_size: tuple[int, int] | None = None
    """(height, width) in pixels, for SDXL's size conditioning; None for SD1.x."""
    concat: Tensor | None = None
    """Channels appended to the scaled latent (an inpainting UNet's mask and masked image)."""
    _conditioning_batches: dict[tuple[int, int], tuple[Tensor, dict[str, Any]]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __call__(self, x: Tensor, sigma: Tensor) -> Tensor:
        conditionings = [self.positive] if self.cfg == 1.0 else [self.positive, self.negative]
        outputs = self._unet_outputs(x, sigma, conditionings)
        denoised = [self.model_sampling.calculate_denoised(sigma, output, x) for output in outputs]
        if len(denoised) == 1:
            return denoised[0]
        positive, negative = denoised
        return negative + (positive - negative) * self.cfg

    def _unet_outputs(
        self, x: Tensor, sigma: Tensor, conditionings: list[TextConditioning]
    ) -> list[Tensor]:
        count = len(conditionings)
        context, arguments = self._batched_conditioning(x.shape[0], conditionings)
        scaled = self.model_sampling.calculate_input(sigma, x)
        if self.concat is not None:
            extra = self.concat.to(scaled.device, scaled.dtype).expand(x.shape[0], -1, -1, -1)
            scaled = torch.cat([scaled, extra], dim=1)
        timestep = self.model_sampling.timestep(sigma).float()
        output = self.unet(
            scaled.repeat(count, 1, 1, 1).to(self.unet.device, self.unet.dtype),
            timestep.repeat(count).to(self.unet.device),
            encoder_hidden_states=context,
            return_dict=False,
            **arguments,
        )[0]
        return list(output.to(x.device, x.dtype).chunk(count))

    def _batched_conditioning(
        self, batch: int, conditionings: list[TextConditioning]
    ) -> tuple[Tensor, dict[str, Any]]:
        """The UNet's context and extra inputs for a batch, built once per run (every step
        passes the same)."""
        key = (batch, len(conditionings))
        if key in self._conditioning_batches:
            return self._conditioning_batches[key]
        dtype, device = self.unet.dtype, self.unet.device
        length = math.lcm(*(c.context.shape[1] for c in conditionings))
        context = torch.cat(
            [_repeated_to(c.context, length).expand(batch, -1, -1) for c in conditionings]
        ).to(device, dtype)
        arguments: dict[str, Any] = {}
        if self.image_size is not None:
            pooled = torch.cat([_pooled(c).expand(batch, -1) for c in conditionings])
            height, width = self.image_size
            time_ids = torch.tensor([[height, width, 0, 0, height, width]], dtype=torch.float32)
            arguments["added_cond_kwargs"] = {
                "text_embeds": pooled.to(device, dtype),
                "time_ids": time_ids.repeat(batch * len(conditionings), 1).to(device, dtype),
            }
        self._conditioning_batches[key] = (context, arguments)
        return context, arguments


def _pooled(conditioning: TextConditioning) -> Tensor:
    if conditioning.pooled is None:
        raise ValueError("SDXL conditioning needs the pooled text embedding")
    return conditioning.pooled
