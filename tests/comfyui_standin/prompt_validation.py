"""Checks a submitted API-format prompt the way ComfyUI's ``execution.validate_prompt`` does.

The result has ComfyUI's shape: ``(ok, error, outputs_to_execute, node_errors)`` where
``error`` is ``{"type", "message", "details", "extra_info"}`` and ``node_errors`` maps a
node id to ``{"errors": [...], "dependent_outputs": [...], "class_type": ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.comfyui_standin.node_catalog import NodeType

Prompt = dict[str, Any]


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    error: dict[str, Any] | None
    outputs: list[str]
    node_errors: dict[str, Any]


def _prompt_error(kind: str, message: str, details: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


def _full_type_name(error: BaseException) -> str:
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _is_link(value: Any) -> bool:
    return isinstance(value, list)


class _Validator:
    def __init__(self, prompt: Prompt, catalog: dict[str, NodeType]) -> None:
        self.prompt = prompt
        self.catalog = catalog
        self.validated: dict[str, tuple[bool, list[dict[str, Any]], str]] = {}

    def validate_node(self, node_id: str) -> tuple[bool, list[dict[str, Any]], str]:
        if node_id in self.validated:
            return self.validated[node_id]
        node = self.prompt[node_id]
        inputs = node.get("inputs", {})
        node_type = self.catalog[node["class_type"]]
        errors: list[dict[str, Any]] = []
        valid = True
        declared = [(name, spec, True) for name, spec in node_type.required.items()]
        declared += [(name, spec, False) for name, spec in node_type.optional.items()]
        for input_name, (input_type, options), required in declared:
            if input_name not in inputs:
                if required:
                    errors.append(
                        {
                            "type": "required_input_missing",
                            "message": "Required input is missing",
                            "details": f"{input_name}",
                            "extra_info": {"input_name": input_name},
                        }
                    )
                continue
            value = inputs[input_name]
            config = [input_type, options]
            if _is_link(value):
                if len(value) != 2:
                    errors.append(
                        {
                            "type": "bad_linked_input",
                            "message": "Bad linked input, must be a length-2 list of "
                            "[node_id, slot_index]",
                            "details": f"{input_name}",
                            "extra_info": {
                                "input_name": input_name,
                                "input_config": config,
                                "received_value": value,
                            },
                        }
                    )
                    continue
                source_id = value[0]
                # A link to a missing node raises here, as it does in ComfyUI (KeyError).
                source_type = self.catalog[self.prompt[source_id]["class_type"]]
                received_type = source_type.return_types[value[1]]
                if received_type != input_type:
                    errors.append(
                        {
                            "type": "return_type_mismatch",
                            "message": "Return type mismatch between linked nodes",
                            "details": f"{input_name}, received_type({received_type}) "
                            f"mismatch input_type({input_type})",
                            "extra_info": {
                                "input_name": input_name,
                                "input_config": config,
                                "received_type": received_type,
                                "linked_node": value,
                            },
                        }
                    )
                    continue
                try:
                    result = self.validate_node(source_id)
                    if result[0] is False:
                        valid = False
                        continue
                except Exception as error:
                    valid = False
                    self.validated[source_id] = (
                        False,
                        [
                            {
                                "type": "exception_during_inner_validation",
                                "message": "Exception when validating inner node",
                                "details": str(error),
                                "extra_info": {
                                    "input_name": input_name,
                                    "input_config": config,
                                    "exception_message": str(error),
                                    "exception_type": _full_type_name(error),
                                    "traceback": [],
                                    "linked_node": value,
                                },
                            }
                        ],
                        source_id,
                    )
                    continue
            else:
                try:
                    if input_type == "INT":
                        value = int(value)
                    elif input_type == "FLOAT":
                        value = float(value)
                    elif input_type == "STRING":
                        value = str(value)
                    inputs[input_name] = value
                except Exception as error:
                    errors.append(
                        {
                            "type": "invalid_input_type",
                            "message": f"Failed to convert an input value to a {input_type} value",
                            "details": f"{input_name}, {value}, {error}",
                            "extra_info": {
                                "input_name": input_name,
                                "input_config": config,
                                "received_value": value,
                                "exception_message": str(error),
                            },
                        }
                    )
                    continue
                if input_name in node_type.validated_inputs:
                    continue  # VALIDATE_INPUTS checks it instead (below)
                if "min" in options and value < options["min"]:
                    errors.append(
                        {
                            "type": "value_smaller_than_min",
                            "message": f"Value {value} smaller than min of {options['min']}",
                            "details": f"{input_name}",
                            "extra_info": {
                                "input_name": input_name,
                                "input_config": config,
                                "received_value": value,
                            },
                        }
                    )
                    continue
                if "max" in options and value > options["max"]:
                    errors.append(
                        {
                            "type": "value_bigger_than_max",
                            "message": f"Value {value} bigger than max of {options['max']}",
                            "details": f"{input_name}",
                            "extra_info": {
                                "input_name": input_name,
                                "input_config": config,
                                "received_value": value,
                            },
                        }
                    )
                    continue
                if isinstance(input_type, list) and value not in input_type:
                    if len(input_type) > 20:
                        list_info = f"(list of length {len(input_type)})"
                        shown_config: Any = None
                    else:
                        list_info = str(input_type)
                        shown_config = config
                    errors.append(
                        {
                            "type": "value_not_in_list",
                            "message": "Value not in list",
                            "details": f"{input_name}: '{value}' not in {list_info}",
                            "extra_info": {
                                "input_name": input_name,
                                "input_config": shown_config,
                                "received_value": value,
                            },
                        }
                    )
                    continue
        errors += _custom_validation_errors(node_type, inputs)
        result = (not errors and valid, errors, node_id)
        self.validated[node_id] = result
        return result


def _custom_validation_errors(node_type: NodeType, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """ComfyUI's ``VALIDATE_INPUTS`` call: given the inputs it names that the node has (a
    link's value is not known yet: None), one error per input when it does not answer True."""
    if node_type.validate_inputs is None:
        return []
    given = {
        name: None if _is_link(inputs[name]) else inputs[name]
        for name in node_type.validated_inputs
        if name in inputs
    }
    if not given:
        return []
    verdict = node_type.validate_inputs(**given)
    if verdict is True:
        return []
    return [
        {
            "type": "custom_validation_failed",
            "message": "Custom validation failed for node",
            "details": name if verdict is False else f"{name} - {verdict}",
            "extra_info": {"input_name": name},
        }
        for name in given
    ]


def validate_prompt(prompt: Prompt, catalog: dict[str, NodeType]) -> ValidationResult:
    outputs: list[str] = []
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            return ValidationResult(
                False,
                _prompt_error(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    f"Node ID '#{node_id}'",
                ),
                [],
                {},
            )
        class_type = node["class_type"]
        node_type = catalog.get(class_type)
        if node_type is None:
            return ValidationResult(
                False,
                _prompt_error(
                    "invalid_prompt",
                    f"Cannot execute because node {class_type} does not exist.",
                    f"Node ID '#{node_id}'",
                ),
                [],
                {},
            )
        node.setdefault("inputs", {})
        if node_type.output_node:
            outputs.append(node_id)

    if not outputs:
        return ValidationResult(
            False, _prompt_error("prompt_no_outputs", "Prompt has no outputs", ""), [], {}
        )

    validator = _Validator(prompt, catalog)
    good_outputs: list[str] = []
    failures: list[tuple[str, list[dict[str, Any]]]] = []
    node_errors: dict[str, Any] = {}
    for output_id in outputs:
        try:
            valid, reasons, _ = validator.validate_node(output_id)
        except Exception as error:
            valid = False
            reasons = [
                {
                    "type": "exception_during_validation",
                    "message": "Exception when validating node",
                    "details": str(error),
                    "extra_info": {"exception_type": _full_type_name(error), "traceback": []},
                }
            ]
            validator.validated[output_id] = (False, reasons, output_id)
        if valid:
            good_outputs.append(output_id)
            continue
        failures.append((output_id, reasons))
        for node_id, (node_valid, node_reasons, _) in validator.validated.items():
            if node_valid or not node_reasons:
                continue
            entry = node_errors.setdefault(
                node_id,
                {
                    "errors": node_reasons,
                    "dependent_outputs": [],
                    "class_type": prompt[node_id]["class_type"],
                },
            )
            entry["dependent_outputs"].append(output_id)

    if not good_outputs:
        details = "\n".join(
            f"{reason['message']}: {reason['details']}"
            for _, reasons in failures
            for reason in reasons
        )
        return ValidationResult(
            False,
            {
                "type": "prompt_outputs_failed_validation",
                "message": "Prompt outputs failed validation",
                "details": details,
                "extra_info": {},
            },
            [],
            node_errors,
        )
    return ValidationResult(True, None, good_outputs, node_errors)
