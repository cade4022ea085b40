"""Real-ESRGAN's SRVGGNetCompact ("realesr-general-x4v3", the "*Compact" community models).

A plain stack: ``body.0`` a convolution from the image, then (PReLU, convolution) pairs, the last
convolution giving ``channels * scale**2`` maps that a pixel shuffle turns into the larger image;
the input, upscaled by nearest neighbour, is added to the result.
"""

from __future__ import annotations

from torch import Tensor, nn


class SRVGGNetCompact(nn.Module):
    def __init__(
        self, in_channels: int, out_channels: int, features: int, convolutions: int, scale: int
    ) -> None:
        super().__init__()
        self.scale = scale
        layers: list[nn.Module] = [nn.Conv2d(in_channels, features, 3, 1, 1)]
        layers.append(nn.PReLU(num_parameters=features))
        for _ in range(convolutions):
            layers.append(nn.Conv2d(features, features, 3, 1, 1))
            layers.append(nn.PReLU(num_parameters=features))
        layers.append(nn.Conv2d(features, out_channels * scale * scale, 3, 1, 1))
        self.body = nn.Sequential(*layers)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x: Tensor) -> Tensor:
        out = self.shuffle(self.body(x))
        return out + nn.functional.interpolate(x, scale_factor=self.scale, mode="nearest")
