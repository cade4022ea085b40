"""The body of `POST /api/v1/generate/<slug>`, validated field by field with clear errors."""

from __future__ import annotations

import json
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from gaze.api.errors import ApiError, bad_request
from gaze.events.types import EVENT_TYPES
from gaze.generation.submit import GenerationOptions
from gaze.generation_spec import MAX_SEED
from gaze.library.text_rules import MAX_PROMPT_LENGTH, prompt_problem, surrogate_problem
from gaze.outside_json import InvalidJson, load_json
from gaze.webhooks.outbox import DEFAULT_WEBHOOK_EVENTS
from gaze.webhooks.url_policy import MAX_URL_LENGTH

MAX_COUNT = 20
MIN_SIZE, MAX_SIZE, SIZE_STEP = 64, 4096, 8
MAX_EXTRA_PROMPT = MAX_PROMPT_LENGTH

FIELDS = (
    "count",
    "checkpoint",
    "extra_positive",
    "extra_negative",
    "seed",
    "width",
    "height",
    "webhook_url",
    "webhook_events",
)

REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1},
        "checkpoint": {"type": "string", "example": "Illustrious/model.safetensors"},
        "extra_positive": {"type": "string", "maxLength": MAX_EXTRA_PROMPT, "default": ""},
        "extra_negative": {"type": "string", "maxLength": MAX_EXTRA_PROMPT, "default": ""},
        "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
        "width": {"type": "integer", "minimum": MIN_SIZE, "maximum": MAX_SIZE, "multipleOf": 8},
        "height": {"type": "integer", "minimum": MIN_SIZE, "maximum": MAX_SIZE, "multipleOf": 8},
        "webhook_url": {
            "type": "string",
            "format": "uri",
            "maxLength": MAX_URL_LENGTH,
            "description": "http(s) URL that receives each job event as a signed POST "
            "(header X-GAZE-Signature: t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>).",
            "example": "https://example.com/gaze-hook",
        },
        "webhook_events": {
            "type": "array",
            "items": {"type": "string", "enum": list(EVENT_TYPES)},
            "minItems": 1,
            "uniqueItems": True,
            "description": "Which events to POST; default: "
            + ", ".join(DEFAULT_WEBHOOK_EVENTS)
            + " (everything but job.progress).",
        },
    },
    "dependentRequired": {
        "width": ["height"],
        "height": ["width"],
        "webhook_events": ["webhook_url"],
    },
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _size(name: str, value: Any) -> int:
    if not _is_int(value) or not MIN_SIZE <= value <= MAX_SIZE or value % SIZE_STEP:
        raise bad_request(
            "invalid_size",
            f"{name} must be an integer multiple of {SIZE_STEP} from {MIN_SIZE} to {MAX_SIZE}, "
            f"got {json.dumps(value)}",
        )
    return int(value)


def _extra(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise bad_request("invalid_extra_prompt", f"{name} must be a string")
    problem = prompt_problem(value)
    if problem:
        raise bad_request("invalid_extra_prompt", f"{name} {problem}")
    return value


def checkpoint_path_problem(value: str) -> str | None:
    """Why a checkpoint path is not a safe relative path, or None when it is."""
    if not value.strip():
        return "checkpoint must not be empty"
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        return f"checkpoint must be a path relative to the checkpoints folder, got {value!r}"
    if ".." in PurePosixPath(value.replace("\\", "/")).parts:
        return f"checkpoint must not contain '..', got {value!r}"
    if "\x00" in value:
        return "checkpoint must not contain NUL characters"
    problem = surrogate_problem(value)
    if problem:
        return f"checkpoint {problem}"
    return None


def parse_generate_body(raw: bytes) -> GenerationOptions:
    """Validate the raw body: none or `{}` means the preset as it is."""
    if not raw.strip():
        return GenerationOptions()
    try:
        body = load_json(raw)
    except InvalidJson as error:
        raise bad_request("invalid_json", f"request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "request body must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise bad_request(
            "unknown_field",
            f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(FIELDS)}",
        )
    values: dict[str, Any] = {}
    if "count" in body:
        count = body["count"]
        if not _is_int(count) or not 1 <= count <= MAX_COUNT:
            raise bad_request(
                "invalid_count",
                f"count must be an integer from 1 to {MAX_COUNT}, got {json.dumps(count)}",
            )
        values["count"] = count
    if "seed" in body and body["seed"] is not None:
        seed = body["seed"]
        if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
            raise bad_request(
                "invalid_seed",
                f"seed must be an integer from 0 to {MAX_SEED}, got {json.dumps(seed)}",
            )
        values["seed"] = seed
    has_width, has_height = body.get("width") is not None, body.get("height") is not None
    if has_width != has_height:
        raise bad_request(
            "invalid_size", "width and height must be given together (or neither of them)"
        )
    if has_width:
        values["width"] = _size("width", body["width"])
        values["height"] = _size("height", body["height"])
    for name in ("extra_positive", "extra_negative"):
        if name in body and body[name] is not None:
            values[name] = _extra(name, body[name])
    if "checkpoint" in body and body["checkpoint"] is not None:
        checkpoint = body["checkpoint"]
        if not isinstance(checkpoint, str):
            raise bad_request("invalid_checkpoint", "checkpoint must be a string")
        problem = checkpoint_path_problem(checkpoint)
        if problem:
            raise bad_request("invalid_checkpoint", problem)
        values["checkpoint"] = checkpoint
    values.update(_webhook(body))
    return GenerationOptions(**values)


def _webhook(body: dict[str, Any]) -> dict[str, Any]:
    url, events = body.get("webhook_url"), body.get("webhook_events")
    if url is None:
        if events is not None:
            raise bad_request("invalid_webhook_events", "webhook_events needs a webhook_url")
        return {}
    if not isinstance(url, str):
        raise bad_request("invalid_webhook_url", "webhook_url must be a string")
    if len(url) > MAX_URL_LENGTH:
        raise bad_request(
            "invalid_webhook_url", f"webhook_url is longer than {MAX_URL_LENGTH} characters"
        )
    problem = surrogate_problem(url)
    if problem:
        raise bad_request("invalid_webhook_url", f"webhook_url {problem}")
    values: dict[str, Any] = {"webhook_url": url}
    if events is not None:
        if (
            not isinstance(events, list)
            or not events
            or not all(isinstance(event, str) for event in events)
        ):
            raise bad_request(
                "invalid_webhook_events", "webhook_events must be a non-empty list of event names"
            )
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown:
            raise bad_request(
                "invalid_webhook_events",
                f"unknown webhook event(s): {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
            )
        if len(set(events)) != len(events):
            raise bad_request("invalid_webhook_events", "webhook_events lists an event twice")
        values["webhook_events"] = tuple(events)
    return values


def ensure_seed_range(seed: int, count: int) -> None:
    if seed + count - 1 > MAX_SEED:
        raise ApiError(
            400,
            "invalid_seed",
            f"seed {seed} with count {count} runs past the largest seed {MAX_SEED}",
        )
