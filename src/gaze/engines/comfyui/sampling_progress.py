"""ComfyUI ``progress`` messages (value/max per node) folded into one monotonic 0-1 fraction.

A workflow may run several nodes that report progress (a hires-fix second pass, a refiner).
Each counts as an equal share: the fraction is ``(finished nodes + current value/max) /
expected nodes``, where the expected count starts at the number of sampler nodes in the
graph (minus cached ones) and grows if more nodes report. The fraction never decreases and
stays below 1.0 until the prompt has finished; ``finish()`` reports 1.0. Nodes that report
progress without sampling (an upscale model's tiles, tiled VAE passes) only show that the
prompt is alive: they take no share.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

IN_FLIGHT_CEILING = 0.99
NOT_SAMPLING = frozenset({"ImageUpscaleWithModel", "VAEDecodeTiled", "VAEEncodeTiled"})
"""Core nodes that send ``progress`` messages of their own while not sampling."""


def samples(graph: dict[str, Any], node_id: str | None) -> bool:
    """Whether ``progress`` from this node counts as sampling (unknown nodes do)."""
    node = graph.get(node_id) if node_id is not None else None
    return not (isinstance(node, dict) and node.get("class_type") in NOT_SAMPLING)


def count_sampler_nodes(graph: dict[str, Any], skip: Iterable[str] = ()) -> int:
    """Nodes whose class_type names a sampler (KSampler, KSamplerAdvanced, SamplerCustom...)."""
    skipped = set(skip)
    return sum(
        1
        for node_id, node in graph.items()
        if node_id not in skipped and "Sampler" in str(node.get("class_type", ""))
    )


class SamplingProgress:
    def __init__(self, expected_nodes: int) -> None:
        self.expected_nodes = max(1, expected_nodes)
        self._finished: set[str] = set()
        self._current: str | None = None
        self._current_fraction = 0.0
        self.reported = 0.0

    def expect(self, expected_nodes: int) -> None:
        """Revise how many nodes will report (e.g. after ``execution_cached``)."""
        self.expected_nodes = max(1, expected_nodes, len(self._finished) + 1)

    def update(self, node: str | None, value: float, maximum: float) -> float | None:
        """Fold one progress message in; the new fraction if it went up, else None."""
        key = node if node is not None else "?"
        if key in self._finished:
            return None
        if self._current is not None and key != self._current:
            self._finished.add(self._current)
        self._current = key
        self._current_fraction = min(1.0, max(0.0, value / maximum)) if maximum > 0 else 0.0
        if self._current_fraction >= 1.0:
            self._finished.add(key)
            self._current = None
            self._current_fraction = 0.0
        reporting = len(self._finished) + (1 if self._current is not None else 0)
        self.expected_nodes = max(self.expected_nodes, reporting)
        fraction = (len(self._finished) + self._current_fraction) / self.expected_nodes
        fraction = min(fraction, IN_FLIGHT_CEILING)
        if fraction > self.reported:
            self.reported = fraction
            return fraction
        return None

    def finish(self) -> float | None:
        if self.reported >= 1.0:
            return None
        self.reported = 1.0
        return 1.0
