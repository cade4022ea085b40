"""The body of `POST /api/v1/generate/<slug>`: its OpenAPI schema, and the JSON decoding in
front of the one generation-options parser (`gaze.generation.options`)."""

from __future__ import annotations

from typing import Any

from gaze.api.errors import bad_request
from gaze.events.types import EVENT_TYPES
from gaze.generation.options import (
    MAX_COUNT,
    MAX_SIZE,
    MIN_SIZE,
    SIZE_STEP,
    GenerationOptions,
    parse_generation_options,
)
from gaze.generation_spec import MAX_SEED
from gaze.library.text_rules import MAX_PROMPT_LENGTH
from gaze.outside_json import InvalidJson, load_json
from gaze.webhooks.outbox import DEFAULT_WEBHOOK_EVENTS
from gaze.webhooks.url_policy import MAX_URL_LENGTH

MAX_EXTRA_PROMPT = MAX_PROMPT_LENGTH

REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1},
        "checkpoint": {"type": "string", "example": "Illustrious/model.safetensors"},
        "extra_positive": {"type": "string", "maxLength": MAX_EXTRA_PROMPT, "default": ""},
        "extra_negative": {"type": "string", "maxLength": MAX_EXTRA_PROMPT, "default": ""},
        "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
        "width": {
            "type": "integer",
            "minimum": MIN_SIZE,
            "maximum": MAX_SIZE,
            "multipleOf": SIZE_STEP,
        },
        "height": {
            "type": "integer",
            "minimum": MIN_SIZE,
            "maximum": MAX_SIZE,
            "multipleOf": SIZE_STEP,
        },
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


def parse_generate_body(raw: bytes) -> GenerationOptions:
    """Decode and check the raw body: none or `{}` means the preset as it is."""
    if not raw.strip():
        return GenerationOptions()
    try:
        body = load_json(raw)
    except InvalidJson as error:
        raise bad_request("invalid_json", f"request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "request body must be a JSON object")
    return parse_generation_options(body)
