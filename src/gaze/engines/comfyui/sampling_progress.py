"""ComfyUI ``progress`` messages (value/max per node) folded into one monotonic 0-1 fraction.

A workflow may run several nodes that sample (a hires-fix second pass, a refiner). Each takes a
share of the bar in proportion to the steps it runs, as the embedded engine weighs its passes,
so a job's bar moves the same on either backend: a ``KSampler`` runs its ``steps`` (whatever its
denoise), a ``KSamplerAdvanced`` ``min(end_at_step, steps) - start_at_step``; a sampler whose
steps the graph does not say (``SamplerCustom``, custom nodes) weighs as the average of the
others. Cached nodes take no share (`expect`); a node that reports without having been expected
joins with the average weight. The fraction never decreases and stays below 1.0 until the prompt
has finished; ``finish()`` reports 1.0. Nodes that report progress without sampling (an upscale
model's tiles, tiled VAE passes) only show that the prompt is alive: they take no share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

IN_FLIGHT_CEILING = 0.99
NOT_SAMPLING = frozenset({"ImageUpscaleWithModel", "VAEDecodeTiled", "VAEEncodeTiled"})
"""Core nodes that send ``progress`` messages of their own while not sampling."""


def samples(graph: dict[str, Any], node_id: str | None) -> bool:
    """Whether ``progress`` from this node counts as sampling (unknown nodes do)."""
    node = graph.get(node_id) if node_id is not None else None
    return not (isinstance(node, dict) and node.get("class_type") in NOT_SAMPLING)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value)


def steps_run(node: dict[str, Any]) -> int | None:
    """The steps a sampler node runs, when its inputs say (not links to other nodes)."""
    found = node.get("inputs")
    inputs: dict[str, Any] = found if isinstance(found, dict) else {}
    steps = _whole(inputs.get("steps"))
    if steps is None or steps <= 0:
        return None
    if node.get("class_type") == "KSamplerAdvanced":
        start = _whole(inputs.get("start_at_step", 0))
        end = _whole(inputs.get("end_at_step", steps))
        if start is None or end is None:
            return None
        return max(0, min(end, steps) - max(0, start)) or None
    return steps


def sampler_weights(graph: dict[str, Any], skip: Iterable[str] = ()) -> dict[str, float]:
    """Each sampler node (its class_type names a sampler: KSampler, KSamplerAdvanced,
    SamplerCustom...) that is not skipped, with its share: the steps it runs, or the average."""
    skipped = set(skip)
    counted: dict[str, int | None] = {
        node_id: steps_run(node)
        for node_id, node in graph.items()
        if node_id not in skipped
        and isinstance(node, dict)
        and "Sampler" in str(node.get("class_type", ""))
    }
    known = [steps for steps in counted.values() if steps is not None]
    average = sum(known) / len(known) if known else 1.0
    return {node_id: float(steps or average) for node_id, steps in counted.items()}


class SamplingProgress:
    def __init__(self, weights: Mapping[str, float]) -> None:
        self._weights = dict(weights)
        self._finished: set[str] = set()
        self._current: str | None = None
        self._current_fraction = 0.0
        self.reported = 0.0

    def expect(self, weights: Mapping[str, float]) -> None:
        """Revise which nodes will report (e.g. after ``execution_cached``); nodes that
        reported already keep their share."""
        seen = self._finished | ({self._current} if self._current else set())
        self._weights = {**dict(weights), **{key: self._weight(key) for key in seen}}

    def _weight(self, key: str) -> float:
        if key not in self._weights:
            known = list(self._weights.values())
            self._weights[key] = sum(known) / len(known) if known else 1.0
        return self._weights[key]

    def update(self, node: str | None, value: float, maximum: float) -> float | None:
        """Fold one progress message in; the new fraction if it went up, else None."""
        key = node if node is not None else "?"
        if key in self._finished:
            return None
        if self._current is not None and key != self._current:
            self._finished.add(self._current)
        self._weight(key)
        self._current = key
        self._current_fraction = min(1.0, max(0.0, value / maximum)) if maximum > 0 else 0.0
        if self._current_fraction >= 1.0:
            self._finished.add(key)
            self._current = None
            self._current_fraction = 0.0
        done = sum(self._weights[finished] for finished in self._finished)
        if self._current is not None:
            done += self._current_fraction * self._weights[self._current]
        total = sum(self._weights.values()) or 1.0
        fraction = min(done / total, IN_FLIGHT_CEILING)
        if fraction > self.reported:
            self.reported = fraction
            return fraction
        return None

    def finish(self) -> float | None:
        if self.reported >= 1.0:
            return None
        self.reported = 1.0
        return 1.0
