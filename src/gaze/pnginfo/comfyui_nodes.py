"""Reading a ComfyUI API-format graph's nodes safely: links, literal values behind primitive
and string nodes, and chains along one input, each walk bounded and cycle-proof."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Graph = dict[str, Any]
MAX_HOPS = 2000
_VALUE_INPUTS = ("value", "int", "float", "string", "text", "seed", "noise_seed", "number")
"""Where a primitive or string node keeps its value, tried after the asked-for input's name."""


def link_of(value: Any) -> str | None:
    """The node id an input is linked to (``["<id>", <output index>]``), or None."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], (str, int))
        and not isinstance(value[0], bool)
        and isinstance(value[1], int)
    ):
        return str(value[0])
    return None


class GraphReader:
    """Nodes of one graph; a link to a node that is missing becomes one warning."""

    def __init__(self, graph: Graph, warnings: list[str]) -> None:
        self.graph = graph
        self.warnings = warnings
        self._missing: set[str] = set()

    def node(self, node_id: str | None) -> dict[str, Any] | None:
        if node_id is None:
            return None
        node = self.graph.get(node_id)
        if isinstance(node, dict):
            return node
        if node_id not in self._missing:
            self._missing.add(node_id)
            self.warnings.append(f"the graph links to node {node_id[:40]!r}, which it lacks")
        return None

    def kind(self, node_id: str) -> str:
        node = self.graph.get(node_id)
        return str(node.get("class_type")) if isinstance(node, dict) else ""

    @staticmethod
    def inputs(node: dict[str, Any] | None) -> dict[str, Any]:
        inputs = node.get("inputs") if node is not None else None
        return inputs if isinstance(inputs, dict) else {}

    def linked_node(self, value: Any) -> dict[str, Any] | None:
        return self.node(link_of(value))

    def value(self, node: dict[str, Any] | None, name: str) -> Any:
        """An input's value; a link is followed to the primitive or string node giving it."""
        value = self.inputs(node).get(name)
        seen: set[str] = set()
        while (link := link_of(value)) is not None:
            if link in seen or len(seen) >= MAX_HOPS:
                self.warnings.append(f"input {name!r} is linked in a loop; left out")
                return None
            seen.add(link)
            inputs = self.inputs(self.node(link))
            found = next((key for key in (name, *_VALUE_INPUTS) if key in inputs), None)
            if found is None:
                return None
            value = inputs[found]
        return value

    def chain(self, start: Any, names: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
        """The nodes from `start` back along the first linked input of `names`."""
        node_id = link_of(start)
        seen: set[str] = set()
        while node_id is not None and node_id not in seen and len(seen) < MAX_HOPS:
            seen.add(node_id)
            node = self.node(node_id)
            if node is None:
                return
            yield node_id, node
            inputs = self.inputs(node)
            node_id = next(
                (link for name in names if (link := link_of(inputs.get(name))) is not None), None
            )
