"""One node type as ComfyUI describes it in ``/object_info``, and its input-spec helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_RESOLUTION = 16384

InputSpec = tuple[Any, dict[str, Any]]


@dataclass(frozen=True)
class NodeType:
    name: str
    display_name: str
    category: str
    required: dict[str, InputSpec]
    return_types: tuple[str, ...]
    optional: dict[str, InputSpec] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    output_node: bool = False
    description: str = ""
    python_module: str = "nodes"
    validate_inputs: Callable[..., bool | str] | None = None
    """ComfyUI's ``VALIDATE_INPUTS``: called with the inputs in ``validated_inputs``; True,
    False or the reason the values are invalid."""
    validated_inputs: tuple[str, ...] = ()
    """The inputs ``validate_inputs`` takes: ComfyUI skips their min/max and combo checks."""

    def input_spec(self, input_name: str) -> InputSpec | None:
        return self.required.get(input_name) or self.optional.get(input_name)

    def object_info(self) -> dict[str, Any]:
        """This node as ``GET /object_info`` shows it."""
        inputs: dict[str, Any] = {"required": _jsonable(self.required)}
        if self.optional:
            inputs["optional"] = _jsonable(self.optional)
        if self.hidden:
            inputs["hidden"] = dict(self.hidden)
        return {
            "input": inputs,
            "input_order": {key: list(value) for key, value in inputs.items()},
            "output": list(self.return_types),
            "output_is_list": [False] * len(self.return_types),
            "output_name": list(self.return_types),
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "python_module": self.python_module,
            "category": self.category,
            "output_node": self.output_node,
        }


def _jsonable(inputs: Mapping[str, InputSpec]) -> dict[str, list[Any]]:
    return {name: [kind, dict(options)] for name, (kind, options) in inputs.items()}


def int_input(default: int, minimum: int, maximum: int, step: int = 1) -> InputSpec:
    return ("INT", {"default": default, "min": minimum, "max": maximum, "step": step})


def float_input(default: float, minimum: float, maximum: float, step: float = 0.01) -> InputSpec:
    return ("FLOAT", {"default": default, "min": minimum, "max": maximum, "step": step})
