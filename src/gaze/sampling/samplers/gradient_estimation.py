"""(being written)"""

from __future__ import annotations

from gaze.sampling.core import Sampler

SAMPLERS: dict[str, Sampler] = {}
