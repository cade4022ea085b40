"""Seeded draws: every random choice GAZE makes comes from a seed and a named stream.

A stream is a name such as ``"slots:characters"`` or ``"wildcards:positive:0"``; the same seed
and stream always give the same number, and two streams are independent, so adding a choice
under a new stream never changes the others. `gaze.presets.resolve` follows this rule too.

The number of a stream is the first 64 bits (big-endian) of BLAKE2b over
``"<seed>:<stream>"``. `SeedDraws` makes many draws of one seed, hashing the seed's part once.
"""

from __future__ import annotations

import math
from hashlib import blake2b

DRAW_RANGE = 2**64
"""Draws are integers in ``range(DRAW_RANGE)``."""


class SeedDraws:
    """The draws of one seed: `draw`, `pick_index` and `pick_weight` bound to it."""

    __slots__ = ("_seeded", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._seeded = blake2b(f"{seed}:".encode(), digest_size=8)

    def draw(self, stream: str) -> int:
        """A 64-bit number of the named stream for this seed."""
        hasher = self._seeded.copy()
        hasher.update(stream.encode())
        return int.from_bytes(hasher.digest(), "big")

    def pick_index(self, stream: str, size: int) -> int:
        """An index in ``range(size)``, uniform for all practical purposes (bias < size / 2**64)."""
        return self.draw(stream) % size

    def pick_weight(self, stream: str, low: float, high: float) -> float:
        """A weight in ``low..high`` on the 0.01 grid, both ends included.

        A range holding no hundredth gives `low`; a hundredth within float error of a bound
        gives the bound itself, so the weight never leaves the range.
        """
        first = math.ceil(round(low * 100, 6))
        last = math.floor(round(high * 100, 6))
        if first > last:  # the range lies between two hundredths
            return low
        weight = (first + self.draw(stream) % (last - first + 1)) / 100
        return min(max(weight, low), high)


def draw(seed: int, stream: str) -> int:
    """A 64-bit number of the named stream for this seed."""
    return SeedDraws(seed).draw(stream)


def pick_index(seed: int, stream: str, size: int) -> int:
    """An index in ``range(size)``: `SeedDraws.pick_index`."""
    return SeedDraws(seed).pick_index(stream, size)


def pick_weight(seed: int, stream: str, low: float, high: float) -> float:
    """A weight in ``low..high`` on the 0.01 grid: `SeedDraws.pick_weight`."""
    return SeedDraws(seed).pick_weight(stream, low, high)
