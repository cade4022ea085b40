"""LoRAs fused into a pipeline's weights, and the weights restored exactly when the set changes.

As ComfyUI and Forge do, a job's LoRAs change the weights of the layers they adapt instead of
running beside them at every step: each adapted weight becomes
``W + sum(strength * scale * up @ down)`` (``scale`` = alpha / rank, ``strength`` the job's model
weight for the UNet and clip weight for the text encoders), summed in float32 and stored back in
the weight's dtype. Sampling then costs what a plain job costs.

The original of every touched weight is kept (on the CPU) while a set is fused; changing the set
copies the originals back before fusing the next one, so a plain job after a LoRA job runs on
the checkpoint's own weights, bit for bit, and a set fused after another gives the same weights
as on a freshly loaded checkpoint. The LoRAs are added in a fixed order (by file), so the same
set listed in another order gives the same weights too. A component whose strength is 0 is left
untouched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

FileIdentity = tuple[str, int, int]
LayerKey = tuple[str, str]
"""(pipeline component, module path inside it): ``("unet", "mid_block.attentions.0.proj_in")``."""
FusedSet = tuple[tuple[FileIdentity, float, float], ...]
"""The LoRAs fused into the weights: (file, model weight, clip weight), in file order."""
UNET = "unet"


class LoraLayerMismatch(ValueError):
    """A LoRA layer's matrices do not compose into its target weight's shape."""


@dataclass(frozen=True)
class LoraLayerFactors:
    """One adapted layer of a LoRA file: ``delta = scale * up @ down`` at strength 1."""

    component: str
    module: str
    down: Tensor
    """(rank, in features) or (rank, in channels, kernel height, kernel width), float32."""
    up: Tensor
    """(out features, rank) or (out channels, rank, 1, 1), float32."""
    scale: float

    @property
    def key(self) -> LayerKey:
        return (self.component, self.module)

    def delta(self, strength: float) -> Tensor:
        """What the layer adds to its weight at ``strength`` (float32, the weight's shape)."""
        product = self.up.flatten(1) @ self.down.flatten(1)
        shape = (self.up.shape[0], *self.down.shape[1:])
        return (product * (strength * self.scale)).reshape(shape)


def layer_factors(
    component: str, module: str, weight: Tensor, down: Tensor, up: Tensor, scale: float
) -> LoraLayerFactors:
    """The factors of one layer adapting ``weight``, copied as float32 onto its device; refuses
    matrices that do not compose into the weight's shape (a 1x1 ``up`` for convolutions)."""
    composes = (
        down.dim() == weight.dim()
        and up.dim() == weight.dim()
        and up.shape[1] == down.shape[0]
        and math.prod(up.shape[2:]) == 1
        and (up.shape[0], *down.shape[1:]) == tuple(weight.shape)
    )
    if not composes:
        raise LoraLayerMismatch(
            f"{component}.{module}: LoRA matrices {tuple(down.shape)} and {tuple(up.shape)} do "
            f"not fit the weight {tuple(weight.shape)}"
        )
    return LoraLayerFactors(
        component=component,
        module=module,
        down=down.detach().to(weight.device, torch.float32, copy=True),
        up=up.detach().to(weight.device, torch.float32, copy=True),
        scale=float(scale),
    )


@dataclass(frozen=True)
class LoraFactors:
    """One LoRA file's layers, read once and fused into the weights as often as jobs ask."""

    identity: FileIdentity
    layers: tuple[LoraLayerFactors, ...]


@dataclass(frozen=True)
class WeightedLora:
    """A LoRA file with a job's strengths."""

    factors: LoraFactors
    model_weight: float
    clip_weight: float

    def strength_for(self, component: str) -> float:
        return self.model_weight if component == UNET else self.clip_weight


def fused_set(loras: Iterable[WeightedLora]) -> FusedSet:
    """What fusing ``loras`` puts into the weights, the same in whatever order they are listed."""
    return tuple(
        sorted((lora.factors.identity, lora.model_weight, lora.clip_weight) for lora in loras)
    )


def _weight(pipeline: Any, key: LayerKey) -> Tensor:
    component, module = key
    weight: Tensor = getattr(pipeline, component).get_submodule(module).weight
    return weight


@dataclass
class FusedWeights:
    """The LoRA set fused into one pipeline's weights and the originals of what it touched."""

    loras: FusedSet = ()
    originals: dict[LayerKey, Tensor] = field(default_factory=dict)

    @property
    def touched_layers(self) -> int:
        return len(self.originals)

    def restore(self, pipeline: Any) -> None:
        """Copy every touched weight's original back: the checkpoint's own weights again."""
        with torch.no_grad():
            for key, original in self.originals.items():
                _weight(pipeline, key).copy_(original)
        self.originals.clear()
        self.loras = ()

    def fuse(self, pipeline: Any, loras: list[WeightedLora]) -> None:
        """Make ``loras`` (and nothing else) fused into the weights; on failure, the weights are
        the checkpoint's own."""
        self.restore(pipeline)
        parts: dict[LayerKey, list[tuple[LoraLayerFactors, float]]] = {}
        for lora in sorted(loras, key=lambda lora: lora.factors.identity):
            for layer in lora.factors.layers:
                strength = lora.strength_for(layer.component)
                if strength != 0.0:
                    parts.setdefault(layer.key, []).append((layer, strength))
        try:
            with torch.no_grad():
                for key, layers in parts.items():
                    weight = _weight(pipeline, key)
                    self.originals[key] = weight.detach().to("cpu", copy=True)
                    total = weight.detach().to(torch.float32, copy=True)
                    for layer, strength in layers:
                        total += layer.delta(strength)
                    weight.copy_(total)
        except BaseException:
            self.restore(pipeline)
            raise
        self.loras = fused_set(loras)
