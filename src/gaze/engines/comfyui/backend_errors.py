"""ComfyUI's error payloads turned into readable EngineErrors.

Two shapes exist. A rejected ``POST /prompt`` answers 400 with
``{"error": {"type", "message", "details", "extra_info"}, "node_errors": {id: {"errors":
[...], "class_type": ...}}}``; a failure while running arrives as an ``execution_error``
message (websocket or history) with ``node_id``, ``node_type``, ``exception_type`` and
``exception_message``.
"""

from __future__ import annotations

from typing import Any

from gaze.engines.base import EngineError, ModelNotFound

MODEL_INPUTS = frozenset(
    {
        "ckpt_name",
        "lora_name",
        "vae_name",
        "unet_name",
        "clip_name",
        "control_net_name",
        "model_name",
    }
)
"""Loader inputs naming a model file (``model_name``: UpscaleModelLoader's)."""


def _sentence_case(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _describe_reason(reason: dict[str, Any]) -> tuple[str | None, str]:
    extra = reason.get("extra_info") or {}
    input_name = extra.get("input_name")
    message = _sentence_case(str(reason.get("message") or reason.get("type") or "invalid"))
    if "received_value" in extra:
        received = extra["received_value"]
        if str(received) not in message:
            message = f"{message}: {received!r}"
    else:
        details = str(reason.get("details") or "")
        if details and details != input_name:
            message = f"{message}: {details}"
    return input_name, message


def describe_rejection(body: Any) -> str:
    """One line naming every failing node, input and value of a ``/prompt`` 400 body."""
    if not isinstance(body, dict):
        return f"ComfyUI rejected the workflow: {body!r}"
    parts: list[str] = []
    node_errors = body.get("node_errors")
    if isinstance(node_errors, dict):
        for node_id, entry in node_errors.items():
            if not isinstance(entry, dict):
                continue
            class_type = entry.get("class_type", "?")
            for reason in entry.get("errors") or []:
                if not isinstance(reason, dict):
                    continue
                input_name, message = _describe_reason(reason)
                where = f"node {node_id} ({class_type})"
                if input_name:
                    where += f" input {input_name}"
                parts.append(f"{where}: {message}")
    if not parts:
        error = body.get("error")
        if isinstance(error, dict):
            text = str(error.get("message") or error.get("type") or "unknown error")
            details = str(error.get("details") or "")
            parts.append(f"{text} ({details})" if details else text)
        else:
            parts.append(str(error))
    return "ComfyUI rejected the workflow: " + "; ".join(parts)


def _names_missing_model(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("node_errors"), dict):
        return False
    for entry in body["node_errors"].values():
        for reason in (entry or {}).get("errors") or []:
            extra = reason.get("extra_info") or {}
            if (
                reason.get("type") == "value_not_in_list"
                and extra.get("input_name") in MODEL_INPUTS
            ):
                return True
    return False


def rejection_error(body: Any) -> EngineError:
    """ModelNotFound when a loader's file is not on the backend, else EngineError."""
    message = describe_rejection(body)
    if _names_missing_model(body):
        return ModelNotFound(message)
    return EngineError(message)


def describe_execution_error(data: dict[str, Any]) -> str:
    node_id = data.get("node_id", "?")
    node_type = data.get("node_type", "?")
    kind = data.get("exception_type") or "error"
    text = str(data.get("exception_message") or "").strip() or "no message"
    return f"ComfyUI failed at node {node_id} ({node_type}): {kind}: {text}"


def describe_interruption(data: dict[str, Any]) -> str:
    node_id = data.get("node_id", "?")
    node_type = data.get("node_type", "?")
    return f"ComfyUI interrupted the prompt at node {node_id} ({node_type})"
