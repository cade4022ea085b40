"""The body of `POST /api/v1/generate/<slug>`: its OpenAPI schema, and the JSON decoding in
front of the one generation-options parser (`gaze.generation.options`)."""

from __future__ import annotations

from typing import Any

from gaze.api.errors import bad_request
from gaze.events.types import EVENT_TYPES
from gaze.generation.image_options import MAX_MASK_PIXELS
from gaze.generation.options import (
    MAX_COUNT,
    MAX_SIZE,
    MIN_SIZE,
    PRIORITY_VALUES,
    SIZE_STEP,
    GenerationOptions,
    parse_generation_options,
)
from gaze.generation_spec import (
    DEFAULT_IMG2IMG_DENOISE,
    DEFAULT_MASK_BLUR,
    DEFAULT_MASK_GROW,
    LATENT_UPSCALERS,
    MAX_SEED,
    PIXEL_UPSCALERS,
    RESIZE_MODES,
)
from gaze.library.schema import CATEGORIES
from gaze.library.text_rules import MAX_PROMPT_LENGTH
from gaze.outside_json import InvalidJson, load_json
from gaze.presets.schema import MAX_HIRES_SCALE, MIN_HIRES_SCALE
from gaze.webhooks.outbox import DEFAULT_WEBHOOK_EVENTS
from gaze.webhooks.url_policy import MAX_URL_LENGTH

MAX_EXTRA_PROMPT = MAX_PROMPT_LENGTH

IMAGE_PATH_SCHEMA: dict[str, Any] = {
    "type": "string",
    "maxLength": 500,
    "description": "A path relative to the media folder: an upload's `relative_path` "
    "(POST /api/v1/uploads) or a gallery image's (a job result's `relative_path`).",
    "example": "inputs/5f1c0e9a3d8b4c2e9f7a6b5c4d3e2f10.png",
}

HIRES_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "description": "A second pass at a larger size with the same seed; overrides the preset's "
    "hires pass; null turns the preset's off. The output is each side times `scale`, rounded "
    "to a multiple of 8 (at most 4096 px a side).",
    "properties": {
        "scale": {
            "type": "number",
            "minimum": MIN_HIRES_SCALE,
            "maximum": MAX_HIRES_SCALE,
            "default": 1.5,
        },
        "denoise": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
        "steps": {
            "type": "integer",
            "minimum": 1,
            "maximum": 200,
            "description": "Default: the first pass's steps.",
        },
        "upscaler": {
            "type": "string",
            "default": "latent",
            "description": "One of "
            + ", ".join((*LATENT_UPSCALERS, *PIXEL_UPSCALERS))
            + " (`latent` is nearest-exact), or an upscale model file (.pth or .safetensors) "
            "under models/upscale_models/ that a backend has.",
            "examples": ["latent", "pixel-lanczos", "4x-UltraSharp.pth"],
        },
        "sampler": {"type": "string", "description": "Default: the first pass's sampler."},
        "scheduler": {"type": "string", "description": "Default: the first pass's scheduler."},
    },
}

IMAGE_PROPERTIES: dict[str, Any] = {
    "init_image": {
        **IMAGE_PATH_SCHEMA,
        "description": "img2img: start from this image. "
        + IMAGE_PATH_SCHEMA["description"]
        + " Without width/height (and resize) the job takes its size, rounded down to a "
        "multiple of 8.",
    },
    "denoise": {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "default": DEFAULT_IMG2IMG_DENOISE,
        "description": "With init_image: how much of the schedule runs (the strength).",
    },
    "resize": {
        "type": "string",
        "enum": list(RESIZE_MODES),
        "description": "With init_image: how it meets the job's size (width/height, or the "
        "preset's): crop to fill, stretch, or pad. Without it the job takes the image's size.",
    },
    "mask": {
        **IMAGE_PATH_SCHEMA,
        "description": "With init_image: inpaint where the mask is white (same size as the "
        "init image).",
    },
    "mask_blur": {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_MASK_PIXELS,
        "default": DEFAULT_MASK_BLUR,
    },
    "mask_grow": {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_MASK_PIXELS,
        "default": DEFAULT_MASK_GROW,
    },
    "hires": HIRES_SCHEMA,
}
"""The init image, mask and hires fields of the generate body."""

SLOT_SHORTHAND_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "description": "A resource id: the slot is fixed to it."},
        {
            "type": "object",
            "description": "A full slot, as a preset has it: `mode` (none, fixed, random), "
            "`id` (fixed), `pool` (random: `{kind: all | list | tag, ids, key, value}`), "
            "`fields`; characters also `outfit`, detailers `ids` and `count`.",
        },
        {"type": "null", "description": "The slot is off."},
    ]
}

SLOTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Slots replacing the preset's, by category; categories not named keep the "
    "preset's. An unknown category, a bad slot or an id the library lacks is a 400 naming it "
    "(`slots.<category>...`).",
    "properties": {category: SLOT_SHORTHAND_SCHEMA for category in CATEGORIES},
    "example": {
        "characters": "aria_vale",
        "outfits": {"mode": "random", "pool": {"kind": "list", "ids": ["rain_jacket"]}},
        "scenes": None,
    },
}

RECIPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A preset that is not saved: any field of a preset (see the Preset "
    "schema; id and name are not needed). Slots take the shorthand of `slots` (a string fixes "
    "the slot, null turns it off), as preset fields or in a `slots` object.",
    "example": {
        "slots": {"characters": "aria_vale", "outfits": "rain_jacket"},
        "checkpoint": "gaze-demo-sd15-tiny.safetensors",
        "orientation": "portrait",
        "positive": "smiling",
    },
}

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
        "slots": SLOTS_SCHEMA,
        "priority": {
            "type": "string",
            "enum": list(PRIORITY_VALUES),
            "default": "normal",
            "description": "`high`: these jobs run before every normal pending job. Only for "
            "keys allowed it (the default key, and named keys with high_priority); any other "
            "key gets 403 `priority_not_allowed`. Among equal priorities the queue serves API "
            "keys round-robin.",
        },
        **IMAGE_PROPERTIES,
    },
    "dependentRequired": {
        "width": ["height"],
        "height": ["width"],
        "webhook_events": ["webhook_url"],
        "mask": ["init_image"],
        "denoise": ["init_image"],
        "resize": ["init_image"],
        "mask_blur": ["mask"],
        "mask_grow": ["mask"],
    },
}


def json_object_body(raw: bytes) -> dict[str, Any]:
    """A body that is a JSON object, or nothing (an empty object)."""
    if not raw.strip():
        return {}
    try:
        body = load_json(raw)
    except InvalidJson as error:
        raise bad_request("invalid_json", f"request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "request body must be a JSON object")
    return body


def parse_generate_body(raw: bytes) -> GenerationOptions:
    """Decode and check the raw body: none or `{}` means the preset as it is."""
    return parse_generation_options(json_object_body(raw))


COMPOSE_SCHEMA: dict[str, Any] = {
    **REQUEST_SCHEMA,
    "properties": {"recipe": RECIPE_SCHEMA, **REQUEST_SCHEMA["properties"]},
    "required": ["recipe"],
}
"""The body of `POST /api/v1/generate`: a recipe and the generate fields."""

RESOLVE_PROPERTIES: dict[str, Any] = {
    name: schema
    for name, schema in REQUEST_SCHEMA["properties"].items()
    if name not in ("count", "webhook_url", "webhook_events", "priority")
}
RESOLVE_DEPENDENCIES = {
    name: needed
    for name, needed in REQUEST_SCHEMA["dependentRequired"].items()
    if name in RESOLVE_PROPERTIES
}
PRESET_RESOLVE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": RESOLVE_PROPERTIES,
    "dependentRequired": RESOLVE_DEPENDENCIES,
}
"""The body of a preset's resolve: the generate fields that change the result."""

RECIPE_RESOLVE_SCHEMA: dict[str, Any] = {
    **PRESET_RESOLVE_SCHEMA,
    "properties": {"recipe": RECIPE_SCHEMA, **RESOLVE_PROPERTIES},
    "required": ["recipe"],
}
"""The body of `POST /api/v1/resolve`."""
