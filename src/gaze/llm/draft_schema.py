"""The JSON schemas the model's answers must follow: a draft of a resource of one category
(the draftable part of the category's document), a list of tags, an improved prompt."""

from __future__ import annotations

from typing import Any

from gaze.library.text_rules import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_PROMPT_LENGTH

_STRING_OR_LIST: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
}
_PROMPT_SECTION: dict[str, Any] = {
    "type": "object",
    "description": "Keys naming a part (hair, eyes, top...), each a prompt text of "
    "comma-separated tags, or a list of such texts (one is picked per image).",
    "additionalProperties": _STRING_OR_LIST,
}

MAX_SUGGESTED_TAGS = 50


def draft_properties(category: str) -> dict[str, Any]:
    """The fields a draft of this category may have, as JSON schema properties."""
    properties: dict[str, Any] = {
        "id": {
            "type": "string",
            "description": "lower_snake_case id: letters, digits and _ only.",
            "maxLength": 64,
        },
        "name": {"type": "string", "maxLength": MAX_NAME_LENGTH},
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION_LENGTH},
    }
    if category == "characters":
        properties["identity"] = {
            **_PROMPT_SECTION,
            "description": "Who the character is: hair, eyes, body, age... as prompt tags.",
        }
    properties["fields"] = {
        "type": "object",
        "description": "Sections of prompt fields: section name -> {key: prompt text}.",
        "additionalProperties": _PROMPT_SECTION,
    }
    properties["default_fields"] = {
        "type": "array",
        "description": "The fields used when a preset does not choose, as 'section::key'"
        + (" (a character's identity section is 'identity')" if category == "characters" else ""),
        "items": {"type": "string"},
    }
    properties["tags"] = {
        "type": "object",
        "description": "Organisational metadata (origin series, type...), never prompt text.",
        "additionalProperties": _STRING_OR_LIST,
    }
    if category == "detailers":
        properties["prompt_tags"] = {
            "type": "array",
            "description": "Prompt tags always added when this detailer is used.",
            "items": {"type": "string"},
        }
    return properties


def draft_schema(category: str) -> dict[str, Any]:
    properties = draft_properties(category)
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


TAGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "tags": {
            "type": "array",
            "description": "Prompt tags, most important first.",
            "items": {"type": "string"},
            "maxItems": MAX_SUGGESTED_TAGS,
        }
    },
    "required": ["tags"],
    "additionalProperties": False,
}

IMPROVE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {
            "type": "string",
            "description": "The improved prompt text: comma-separated tags.",
            "maxLength": MAX_PROMPT_LENGTH,
        }
    },
    "required": ["text"],
    "additionalProperties": False,
}
