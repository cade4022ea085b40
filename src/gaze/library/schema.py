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
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gaze.generation_spec import PromptWeighting
from gaze.library.fields import (
    DEFAULT_SIZE,
    FIELD_SEPARATOR,
    IDENTITY_SECTION,
    Cfg,
    ClipSkip,
    Description,
    FieldAddress,
    Fields,
    Identifier,
    ImageSide,
    Name,
    Problems,
    PromptText,
    PromptTexts,
    RelativePath,
    SamplerName,
    Section,
    SectionName,
    ShortText,
    Steps,
    Tags,
    WorkflowTemplate,
    _error,
    matching_slug,
    raise_at,
)
from gaze.library.text_rules import lone_surrogates

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
    prompt_weighting: PromptWeighting | None = None
    """How ``(word:1.2)`` emphasis is weighed; null = ComfyUI's rule (the default)."""
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
