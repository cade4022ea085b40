"""The field types and rules of library and preset documents: ids and slugs, names, prompt
texts, sections and tags, weights, sizes, sampler names and workflow templates, each checked
with a clear message; and `describe_errors`, which turns a validation error into one line per
problem with the path of the value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from gaze.library.text_rules import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PATH_LENGTH,
    id_problem,
    list_problem,
    prompt_problem,
    tag_value_problem,
    text_problem,
)
from gaze.workflow_templates import validate_template

FIELD_SEPARATOR = "::"
IDENTITY_SECTION = "identity"
DEFAULT_SIZE: dict[str, tuple[int, int]] = {"sd1": (512, 512), "sdxl": (1024, 1024)}
"""A checkpoint's default width and height per base model."""

_NOT_SLUG = re.compile(r"[^A-Za-z0-9_]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SAMPLER_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


def slug_from_id(resource_id: str) -> str:
    """The id with every character outside ``[A-Za-z0-9_]`` removed (used in URLs and paths)."""
    return _NOT_SLUG.sub("", resource_id)


Problems = list[tuple[tuple[str | int, ...], str, Any]]
"""Validation problems found across fields: (location, message, offending value)."""


def matching_slug(slug: str, owner_id: str | None) -> str:
    """Validate a model's ``slug`` field: empty means "derive it"; otherwise it must match."""
    if owner_id is None:  # the id itself is invalid and reported
        return slug
    expected = slug_from_id(owner_id)
    if slug and slug != expected:
        raise _error(f"must be {expected!r}, the id without characters outside [A-Za-z0-9_]")
    return expected


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError("gaze_invalid", "{reason}", {"reason": message})


def raise_at(title: str, problems: Sequence[tuple[tuple[str | int, ...], str, Any]]) -> None:
    """Raise one ValidationError whose errors point at the given locations."""
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(type=_error(message), loc=loc, input=value)
                for loc, message, value in problems
            ],
        )


# --- value types -------------------------------------------------------------------------


def _refuse(problem: str | None) -> None:
    if problem:
        raise _error(problem)


def _check_identifier(value: Any) -> Any:
    if isinstance(value, str):  # otherwise the str type reports it
        _refuse(id_problem(value))
    return value


def _check_relative_path(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not value:
        raise _error("must not be empty")
    _refuse(text_problem(value, MAX_PATH_LENGTH))
    if "\\" in value:
        raise _error("must use '/' as separator, not '\\'")
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        raise _error("must be a relative path")
    if _CONTROL.search(value):
        raise _error("must not contain control characters")
    parts = value.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise _error("must not contain empty, '.' or '..' segments")
    return value


def relative_path_problem(value: str) -> str | None:
    """Why `value` is not a safe relative posix path (no absolute path, no '..'), or None."""
    try:
        _check_relative_path(value)
    except PydanticCustomError as error:
        return error.message()
    return None


def _check_name(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise _error("must not be empty")
    return _check_short_text(value)


def _check_short_text(value: Any) -> Any:
    if isinstance(value, str):
        _refuse(text_problem(value, MAX_NAME_LENGTH))
    return value


def _check_description(value: Any) -> Any:
    if isinstance(value, str):
        _refuse(text_problem(value, MAX_DESCRIPTION_LENGTH))
    return value


def _check_prompt_text(value: Any) -> Any:
    if isinstance(value, str):
        _refuse(prompt_problem(value))
    return value


def _check_list_size(value: Any) -> Any:
    if isinstance(value, list):
        _refuse(list_problem(value))
    return value


def _check_tag_value(value: Any) -> Any:
    if isinstance(value, str):
        _refuse(tag_value_problem(value))
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        _refuse(list_problem(value))
        for item in value:
            _refuse(tag_value_problem(item))
    else:
        raise _error("must be a string or a list of strings")
    return value


def _check_section_name(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not value.strip() or value != value.strip():
        raise _error("must be non-empty, without surrounding whitespace")
    _refuse(text_problem(value, MAX_NAME_LENGTH))
    if FIELD_SEPARATOR in value:
        raise _error(f"must not contain '{FIELD_SEPARATOR}'")
    return value


def _check_prompt_value(value: Any) -> Any:
    if isinstance(value, str):
        _refuse(prompt_problem(value))
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        _refuse(list_problem(value))
        for item in value:
            _refuse(prompt_problem(item))
        return value
    raise _error("must be a string or a list of strings")


def _check_field_address(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    _refuse(text_problem(value, 2 * MAX_NAME_LENGTH + len(FIELD_SEPARATOR)))
    section, separator, key = value.partition(FIELD_SEPARATOR)
    if not separator or not section or not key or FIELD_SEPARATOR in key:
        raise _error(f"must be 'section{FIELD_SEPARATOR}key', got {value!r}")
    return value


def _check_side(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 64 <= value <= 4096:
            raise _error("must be between 64 and 4096 pixels")
        if value % 8:
            raise _error("must be a multiple of 8")
    return value


def _check_workflow_template(value: Any) -> Any:
    problems = validate_template(value)
    if problems:
        raise _error("not a usable ComfyUI workflow: " + "; ".join(problems))
    return value


def _check_sampler_name(value: Any) -> Any:
    if isinstance(value, str) and (len(value) > MAX_NAME_LENGTH or not _SAMPLER_NAME.match(value)):
        raise _error("must be a sampler or scheduler name such as 'euler' or 'karras'")
    return value


Identifier = Annotated[str, BeforeValidator(_check_identifier)]
"""A resource or preset id: 1-128 letters, digits and _ (so its slug is itself)."""
RelativePath = Annotated[str, BeforeValidator(_check_relative_path)]
"""A relative posix path without '.' or '..' segments, e.g. ``Illustrious/model.safetensors``."""
Name = Annotated[str, BeforeValidator(_check_name)]
"""A display name: not blank, at most MAX_NAME_LENGTH characters."""
ShortText = Annotated[str, BeforeValidator(_check_short_text)]
"""An optional short label: at most MAX_NAME_LENGTH characters."""
Description = Annotated[str, BeforeValidator(_check_description)]
"""Free text for people (never prompt text): at most MAX_DESCRIPTION_LENGTH characters."""
PromptText = Annotated[str, BeforeValidator(_check_prompt_text)]
"""Prompt text: at most MAX_PROMPT_LENGTH characters, MAX_TAGS tags of MAX_TAG_LENGTH."""
PromptTexts = Annotated[list[PromptText], BeforeValidator(_check_list_size)]
TagValue = Annotated[str | list[str], BeforeValidator(_check_tag_value)]
"""An organisational tag's value (or values): each at most MAX_TAG_LENGTH characters."""
SectionName = Annotated[str, BeforeValidator(_check_section_name)]
PromptValue = Annotated[str | list[str], BeforeValidator(_check_prompt_value)]
"""A prompt text, or a list of prompt texts (each split into tags when used)."""
FieldAddress = Annotated[str, BeforeValidator(_check_field_address)]
"""``section::key``."""
ImageSide = Annotated[int, BeforeValidator(_check_side)]
"""Pixels: 64 to 4096, a multiple of 8."""
SamplerName = Annotated[str, BeforeValidator(_check_sampler_name)]
WorkflowTemplate = Annotated[dict[str, Any], BeforeValidator(_check_workflow_template)]
"""A ComfyUI API-format workflow with placeholders (see gaze.workflow_templates)."""
Steps = Annotated[int, Field(ge=1, le=200)]
Cfg = Annotated[float, Field(ge=0, le=50, allow_inf_nan=False)]
ClipSkip = Annotated[int, Field(ge=1, le=24)]
"""Layers of CLIP to skip, A1111 style: 1 = use the last layer, 2 = the one before."""

Section = dict[SectionName, PromptValue]
Fields = dict[SectionName, Section]
Tags = dict[SectionName, TagValue]


# --- LoRA ----------------------------------------------------------------------------------


def _format_location(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            text += " (key)"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def describe_errors(error: ValidationError) -> list[str]:
    """One line per problem: ``"lora.weight: must be a number or a range ..."``."""
    lines = []
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{_format_location(item['loc'])}: {message}")
    return lines
