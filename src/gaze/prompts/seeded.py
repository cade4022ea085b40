"""Seeded draws: every random choice GAZE makes comes from a seed and a named stream.

A stream is a name such as ``"slots:characters"`` or ``"wildcards:positive:0"``; the same seed
and stream always give the same number, and two streams are independent, so adding a choice
under a new stream never changes the others. `gaze.presets.resolve` follows this rule too.
"""

from __future__ import annotations

import math
from hashlib import blake2b

DRAW_RANGE = 2**64
"""Draws are integers in ``range(DRAW_RANGE)``."""


def draw(seed: int, stream: str) -> int:
    """A 64-bit number of the named stream for this seed."""
    digest = blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def pick_index(seed: int, stream: str, size: int) -> int:
    """An index in ``range(size)``, uniform for all practical purposes (bias < size / 2**64)."""
    return draw(seed, stream) % size


def pick_weight(seed: int, stream: str, low: float, high: float) -> float:
    """A weight in ``low..high`` on the 0.01 grid, both ends included.

    A range holding no hundredth gives `low`; a hundredth within float error of a bound
    gives the bound itself, so the weight never leaves the range.
    """
    first = math.ceil(round(low * 100, 6))
    last = math.floor(round(high * 100, 6))
    if first > last:  # the range lies between two hundredths
        return low
    weight = (first + draw(seed, stream) % (last - first + 1)) / 100
    return min(max(weight, low), high)
