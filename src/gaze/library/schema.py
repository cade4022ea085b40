"""The library's data: resources of each category, LoRA references and checkpoint settings.

A resource is one reusable prompt building block. Its prompt text lives in ``fields``: sections
holding keys, each key a prompt text or a list of prompt texts, addressed as ``section::key``.
``default_fields`` lists the fields used when a preset does not choose. ``tags`` are
organisational metadata (origin series, outfit type...), never prompt content.

The models are strict (no silent coercion of ``"20"`` to ``20``), reject unknown keys, are
frozen, and report errors with the path of the offending value (see `describe_errors`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from gaze.library.text_rules import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PATH_LENGTH,
    id_problem,
    list_problem,
    lone_surrogates,
    prompt_problem,
    tag_value_problem,
    text_problem,
)

CATEGORIES: tuple[str, ...] = (
    "characters",
    "looks",
    "outfits",
    "actions",
    "styles",
    "scenes",
    "detailers",
)
"""Resource categories, in the order the UI lists them."""

PROMPT_ORDER: tuple[str, ...] = (
    "characters",
    "looks",
    "outfits",
    "actions",
    "scenes",
    "styles",
    "detailers",
)
"""The order in which chosen resources contribute prompt tags and LoRAs."""

FIELD_SEPARATOR = "::"
IDENTITY_SECTION = "identity"
BASE_MODELS = ("sd1", "sdxl")
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


def _check_weight(value: Any) -> Any:
    if isinstance(value, bool):
        raise _error("must be a number or a range {'min': number, 'max': number}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > 10:
            raise _error("must be a finite number between -10 and 10")
        return value
    if isinstance(value, WeightRange):
        return value
    if isinstance(value, dict):
        if set(value) != {"min", "max"}:
            raise _error("a weight range has exactly the keys 'min' and 'max'")
        low, high = value["min"], value["max"]
        for bound in (low, high):
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                raise _error("a weight range's 'min' and 'max' must be numbers")
            if not math.isfinite(bound) or abs(bound) > 10:
                raise _error("a weight range's bounds must be finite, between -10 and 10")
        if low > high:
            raise _error(f"a weight range's min ({low}) is greater than its max ({high})")
        return value
    raise _error("must be a number or a range {'min': number, 'max': number}")


def _check_side(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 64 <= value <= 4096:
            raise _error("must be between 64 and 4096 pixels")
        if value % 8:
            raise _error("must be a multiple of 8")
    return value


def _check_workflow_template(value: Any) -> Any:
    from gaze.engines.comfyui.templates import validate_template

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
"""A ComfyUI API-format workflow with placeholders (see gaze.engines.comfyui.templates)."""
Steps = Annotated[int, Field(ge=1, le=200)]
Cfg = Annotated[float, Field(ge=0, le=50, allow_inf_nan=False)]
ClipSkip = Annotated[int, Field(ge=1, le=24)]
"""Layers of CLIP to skip, A1111 style: 1 = use the last layer, 2 = the one before."""

Section = dict[SectionName, PromptValue]
Fields = dict[SectionName, Section]
Tags = dict[SectionName, TagValue]


def split_field_address(address: str) -> tuple[str, str]:
    """``"section::key"`` -> ``("section", "key")``; ValueError if it is not an address."""
    section, separator, key = address.partition(FIELD_SEPARATOR)
    if not separator or not section or not key:
        raise ValueError(f"not a field address (section{FIELD_SEPARATOR}key): {address!r}")
    return section, key


class StrictModel(BaseModel):
    """Base of every library and preset model: strict, closed, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        problems: Problems = [
            (location, "contains a lone surrogate (invalid Unicode)", None)
            for location in lone_surrogates(data)
        ]
        raise_at(cls.__name__, problems)
        return data


# --- LoRA ----------------------------------------------------------------------------------


class WeightRange(StrictModel):
    """A LoRA weight picked by the seed inside ``min..max`` (inclusive, 2 decimals)."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> WeightRange:
        if self.min > self.max:
            raise_at("WeightRange", [(("min",), f"is greater than max ({self.max})", self.min)])
        return self


LoraWeight = Annotated[float | WeightRange, BeforeValidator(_check_weight)]


class Lora(StrictModel):
    """A LoRA file (relative to the models' ``loras/`` folder) and how to apply it."""

    file: RelativePath
    weight: LoraWeight = 1.0
    clip_weight: Annotated[float, Field(ge=-10, le=10, allow_inf_nan=False)] | None = None
    """Clip strength; null = the model weight that was picked."""
    triggers: PromptTexts = []
    """Trigger words added to the prompt when this LoRA is used."""


# --- resources -----------------------------------------------------------------------------


class Resource(StrictModel):
    """Fields shared by every category. Subclasses set `category`."""

    category: ClassVar[str] = ""

    id: Identifier
    slug: str = Field(default="", validate_default=True)
    """Always `slug_from_id(id)`; filled in when missing."""
    name: Name
    description: Description = ""
    fields: Fields = {}
    default_fields: list[FieldAddress] = []
    lora: Lora | None = None
    tags: Tags = {}
    is_favourite: bool = False
    is_nsfw: bool = False
    cover: RelativePath | None = None

    @field_validator("slug")
    @classmethod
    def _slug_matches_id(cls, value: str, info: ValidationInfo) -> str:
        return matching_slug(value, info.data.get("id"))

    def prompt_sections(self) -> dict[str, dict[str, str | list[str]]]:
        """Every addressable section (for characters, ``identity`` included)."""
        return self.fields

    def field_value(self, address: str) -> str | list[str] | None:
        """The value at ``section::key``, or None if this resource has no such field."""
        section, _, key = address.partition(FIELD_SEPARATOR)
        values = self.prompt_sections().get(section)
        return None if values is None else values.get(key)

    def field_addresses(self) -> list[str]:
        """Every ``section::key`` of this resource, in document order."""
        return [
            f"{section}{FIELD_SEPARATOR}{key}"
            for section, values in self.prompt_sections().items()
            for key in values
        ]

    def consistency_problems(self) -> Problems:
        """Problems between fields (location, message, value); subclasses add their own."""
        problems: Problems = []
        seen: set[str] = set()
        for index, address in enumerate(self.default_fields):
            if self.field_value(address) is None:
                message = f"{address!r} is not a field of this resource"
                problems.append((("default_fields", index), message, address))
            elif address in seen:
                problems.append(
                    (("default_fields", index), f"{address!r} is listed twice", address)
                )
            seen.add(address)
        return problems

    @model_validator(mode="after")
    def _consistent(self) -> Resource:
        raise_at(type(self).__name__, self.consistency_problems())
        return self


class WardrobeOutfit(StrictModel):
    """One outfit of a character: its own prompt fields, or a reference to an outfits resource."""

    fields: Section | None = None
    """Inline outfit: every key is used, in order."""
    outfit_id: Identifier | None = None
    """Reference: the outfits resource with this id, with its default fields and LoRA."""

    @model_validator(mode="after")
    def _one_source(self) -> WardrobeOutfit:
        if (self.fields is None) == (self.outfit_id is None):
            raise_at(
                "WardrobeOutfit",
                [((), "give either 'fields' (an inline outfit) or 'outfit_id', not both", None)],
            )
        return self


class Character(Resource):
    category: ClassVar[str] = "characters"

    identity: Section = {}
    """Who the character is (hair, eyes, body...), addressed as ``identity::key``."""
    wardrobe: dict[SectionName, WardrobeOutfit] = {}
    active_outfit: ShortText | None = None
    """The wardrobe outfit worn unless a preset chooses another; required when the wardrobe
    is not empty."""

    def prompt_sections(self) -> dict[str, dict[str, str | list[str]]]:
        if not self.identity:
            return self.fields
        return {IDENTITY_SECTION: self.identity, **self.fields}

    def field_value(self, address: str) -> str | list[str] | None:
        section, _, key = address.partition(FIELD_SEPARATOR)
        values = self.identity if section == IDENTITY_SECTION else self.fields.get(section)
        return None if values is None else values.get(key)

    def consistency_problems(self) -> Problems:
        problems: Problems = []
        if IDENTITY_SECTION in self.fields:
            message = "'identity' is reserved: put identity fields in 'identity'"
            problems.append((("fields", IDENTITY_SECTION), message, self.fields[IDENTITY_SECTION]))
        problems.extend(super().consistency_problems())
        if self.wardrobe and self.active_outfit is None:
            problems.append((("active_outfit",), "is required when the wardrobe has outfits", None))
        if self.active_outfit is not None and self.active_outfit not in self.wardrobe:
            known = ", ".join(repr(key) for key in self.wardrobe) or "none"
            message = f"{self.active_outfit!r} is not in the wardrobe (outfits: {known})"
            problems.append((("active_outfit",), message, self.active_outfit))
        return problems


class Look(Resource):
    category: ClassVar[str] = "looks"


class Outfit(Resource):
    category: ClassVar[str] = "outfits"


class Action(Resource):
    category: ClassVar[str] = "actions"


class Style(Resource):
    category: ClassVar[str] = "styles"


class Scene(Resource):
    category: ClassVar[str] = "scenes"


class Detailer(Resource):
    category: ClassVar[str] = "detailers"

    prompt_tags: PromptTexts = []
    """Tags always added when this detailer is used (besides its chosen fields)."""


_MODELS: dict[str, type[Resource]] = {
    model.category: model for model in (Character, Look, Outfit, Action, Style, Scene, Detailer)
}


def resource_model_for(category: str) -> type[Resource]:
    """The model class of a category; ValueError for an unknown category."""
    try:
        return _MODELS[category]
    except KeyError:
        raise ValueError(
            f"unknown category {category!r} (expected one of {', '.join(CATEGORIES)})"
        ) from None


# --- checkpoints ---------------------------------------------------------------------------


class CheckpointSettings(StrictModel):
    """A checkpoint file and its own generation settings (presets may override them).

    Width and height default per base model: sd1 512x512, sdxl 1024x1024.
    """

    path: RelativePath
    """Relative to the models' ``checkpoints/`` folder, posix separators."""
    name: ShortText = ""
    description: Description = ""
    base_model: Literal["sd1", "sdxl"] = "sd1"
    width: ImageSide = 512
    height: ImageSide = 512
    steps: Steps = 20
    cfg: Cfg = 7.0
    sampler: SamplerName = "euler"
    scheduler: SamplerName = "normal"
    clip_skip: ClipSkip | None = None
    vae: RelativePath | None = None
    prefix: PromptText = ""
    """Prompt text put first in every positive prompt made with this checkpoint."""
    negative_prefix: PromptText = ""
    """Prompt text put first in every negative prompt made with this checkpoint."""
    workflow_template: WorkflowTemplate | None = None
    """A custom ComfyUI workflow for this checkpoint; null = GAZE's built-in graph."""

    @model_validator(mode="before")
    @classmethod
    def _size_from_base_model(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("width" not in data or "height" not in data):
            base_model = data.get("base_model", "sd1")
            width, height = DEFAULT_SIZE.get(base_model, DEFAULT_SIZE["sd1"])
            data = {"width": width, "height": height, **data}
        return data


# --- error reporting -----------------------------------------------------------------------


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
