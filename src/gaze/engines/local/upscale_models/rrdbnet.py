"""ESRGAN's RRDBNet (Wang et al. 2018), the network behind ESRGAN, Real-ESRGAN and most "4x-*"
community upscale models, with the parameter names of BasicSR (the "new" layout).

- ``conv_first``; ``body``: ``blocks`` residual-in-residual dense blocks (three dense blocks of
  five convolutions each, residuals scaled by 0.2); ``conv_body``; the trunk is added back;
- one nearest 2x upsampling + ``conv_up<i>`` + LeakyReLU(0.2) per doubling; ``conv_hr`` +
  LeakyReLU; ``conv_last``;
- Real-ESRGAN's 2x and 1x models first fold the image's pixels into channels (pixel unshuffle by
  2 or 4; odd sizes are padded by reflection and the result cut back) and then upsample 4x.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

RESIDUAL_SCALE = 0.2
LEAKY_SLOPE = 0.2


def _conv(in_channels: int, out_channels: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, 1, 1)


class DenseBlock(nn.Module):
    """Five convolutions, each seeing the input and every earlier output."""

    def __init__(self, features: int, growth: int) -> None:
        super().__init__()
        for index in range(1, 5):
            setattr(self, f"conv{index}", _conv(features + (index - 1) * growth, growth))
        self.conv5 = _conv(features + 4 * growth, features)
        self.activation = nn.LeakyReLU(LEAKY_SLOPE)

    def forward(self, x: Tensor) -> Tensor:
        seen = [x]
        for index in range(1, 5):
            conv = getattr(self, f"conv{index}")
            seen.append(self.activation(conv(torch.cat(seen, 1))))
        return self.conv5(torch.cat(seen, 1)) * RESIDUAL_SCALE + x


class ResidualInResidualBlock(nn.Module):
    def __init__(self, features: int, growth: int) -> None:
        super().__init__()
        self.rdb1 = DenseBlock(features, growth)
        self.rdb2 = DenseBlock(features, growth)
        self.rdb3 = DenseBlock(features, growth)

    def forward(self, x: Tensor) -> Tensor:
        return self.rdb3(self.rdb2(self.rdb1(x))) * RESIDUAL_SCALE + x


class RRDBNet(nn.Module):
    """``scale`` = 2 ** ``doublings`` / ``unshuffle`` (see the module docstring)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        features: int,
        growth: int,
        blocks: int,
        doublings: int,
        unshuffle: int = 1,
    ) -> None:
        super().__init__()
        self.unshuffle = unshuffle
        self.doublings = doublings
        self.scale = 2**doublings / unshuffle
        self.conv_first = _conv(in_channels * unshuffle**2, features)
        self.body = nn.Sequential(
            *(ResidualInResidualBlock(features, growth) for _ in range(blocks))
        )
        self.conv_body = _conv(features, features)
        for index in range(1, doublings + 1):
            setattr(self, f"conv_up{index}", _conv(features, features))
        self.conv_hr = _conv(features, features)
        self.conv_last = _conv(features, out_channels)
        self.activation = nn.LeakyReLU(LEAKY_SLOPE)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        if self.unshuffle > 1:
            pad_height = -height % self.unshuffle
            pad_width = -width % self.unshuffle
            if pad_height or pad_width:
                x = nn.functional.pad(x, (0, pad_width, 0, pad_height), mode="reflect")
            x = nn.functional.pixel_unshuffle(x, self.unshuffle)
        features = self.conv_first(x)
        features = features + self.conv_body(self.body(features))
        for index in range(1, self.doublings + 1):
            upsampled = nn.functional.interpolate(features, scale_factor=2, mode="nearest")
            features = self.activation(getattr(self, f"conv_up{index}")(upsampled))
        out = self.conv_last(self.activation(self.conv_hr(features)))
        return out[..., : round(height * self.scale), : round(width * self.scale)]
