"""Presets: a saved combination of library resources, a checkpoint and generation settings.

A preset has one slot per resource category. A slot is ``none`` (the category is not used),
``fixed`` (one resource id) or ``random`` (the seed picks from a pool: the whole category, a
list of ids, or the resources whose organisational tag ``key`` has ``value``). A slot's
``fields`` lists the ``section::key`` fields to use; null means the resource's default_fields.

Sizes: ``width``/``height`` (both), or an ``orientation`` mapped per base model (see
`ORIENTATION_SIZES`), or neither (the checkpoint's default size).

``hires``: a default second pass (`HiresSettings`) every generation of the preset runs unless
the request says otherwise; null = none.

``loras``: the preset's own LoRAs (at most `MAX_PRESET_LORAS`), each a library `Lora`
(``{"file": "<path under models/loras>", "weight": 0.8, "clip_weight": null, "triggers": []}``);
they are chained after the chosen resources' LoRAs. A file may be listed once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from gaze.generation_spec import (
    LATENT_UPSCALERS,
    PIXEL_UPSCALERS,
    HiresSpec,
    PromptWeighting,
)
from gaze.library.fields import (
    Cfg,
    ClipSkip,
    Description,
    FieldAddress,
    Identifier,
    ImageSide,
    Name,
    Problems,
    PromptText,
    RelativePath,
    SamplerName,
    SectionName,
    Steps,
    Tags,
    WorkflowTemplate,
    matching_slug,
    raise_at,
    relative_path_problem,
)
from gaze.library.schema import CATEGORIES, Lora, StrictModel
from gaze.library.text_rules import MAX_TAG_LENGTH

SlotMode = Literal["none", "fixed", "random"]
PoolKind = Literal["all", "list", "tag"]
Orientation = Literal["portrait", "landscape", "square"]

ORIENTATION_SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "sd1": {"portrait": (512, 768), "landscape": (768, 512), "square": (512, 512)},
    "sdxl": {"portrait": (832, 1216), "landscape": (1216, 832), "square": (1024, 1024)},
}
"""(width, height) of each orientation, per checkpoint base model."""

MAX_DETAILERS = 16
MAX_PRESET_LORAS = 16
MIN_HIRES_SCALE, MAX_HIRES_SCALE = 1.0, 4.0
UPSCALE_MODEL_SUFFIXES = (".pth", ".safetensors")


def _check_upscaler(value: Any) -> Any:
    if not isinstance(value, str) or value in LATENT_UPSCALERS or value in PIXEL_UPSCALERS:
        return value
    problem = relative_path_problem(value)
    if problem is None and value.endswith(UPSCALE_MODEL_SUFFIXES):
        return value
    methods = ", ".join((*LATENT_UPSCALERS, *PIXEL_UPSCALERS))
    raise _upscaler_error(
        f"must be one of {methods}, or an upscale model file (.pth or .safetensors) under "
        f"models/upscale_models/, got {value[:80]!r}"
    )


def _upscaler_error(message: str) -> PydanticCustomError:
    return PydanticCustomError("gaze_invalid", "{reason}", {"reason": message})


Upscaler = Annotated[str, BeforeValidator(_check_upscaler)]


class HiresSettings(StrictModel):
    """A second pass: the first pass's result upscaled by ``scale`` and sampled again with the
    same seed at its own ``denoise``; ``steps``, ``sampler`` and ``scheduler`` default to the
    first pass's (null)."""

    scale: Annotated[float, Field(ge=MIN_HIRES_SCALE, le=MAX_HIRES_SCALE, allow_inf_nan=False)] = (
        1.5
    )
    denoise: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.5
    steps: Steps | None = None
    upscaler: Upscaler = "latent"
    sampler: SamplerName | None = None
    scheduler: SamplerName | None = None

    def to_spec(self) -> HiresSpec:
        return HiresSpec(
            scale=float(self.scale),
            denoise=float(self.denoise),
            steps=self.steps,
            upscaler=self.upscaler,
            sampler=self.sampler,
            scheduler=self.scheduler,
        )


class Pool(StrictModel):
    """Where a random slot picks from.

    ``{"kind": "all"}``, ``{"kind": "list", "ids": [...]}`` or
    ``{"kind": "tag", "key": "outfit_type", "value": "casual"}`` (case-insensitive value; a
    list-valued tag matches when it contains the value).
    """

    kind: PoolKind = "all"
    ids: list[Identifier] = Field(default_factory=list)
    key: SectionName | None = None
    value: Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Pool:
        problems: Problems = []
        if self.kind == "list":
            if not self.ids:
                problems.append((("ids",), "a 'list' pool needs at least one id", self.ids))
            seen: set[str] = set()
            for index, resource_id in enumerate(self.ids):
                if resource_id in seen:
                    problems.append(
                        (("ids", index), f"{resource_id!r} is listed twice", resource_id)
                    )
                seen.add(resource_id)
        elif self.ids:
            problems.append(
                (("ids",), f"only a 'list' pool has ids (kind is {self.kind!r})", self.ids)
            )
        if self.kind == "tag":
            for name in ("key", "value"):
                if getattr(self, name) is None:
                    problems.append(((name,), "a 'tag' pool needs 'key' and 'value'", None))
        else:
            for name in ("key", "value"):
                if getattr(self, name) is not None:
                    message = f"only a 'tag' pool has '{name}' (kind is {self.kind!r})"
                    problems.append(((name,), message, getattr(self, name)))
        raise_at("Pool", problems)
        return self

    def tag_filter(self) -> dict[str, str] | None:
        """The tag filter for `LibraryView.ids`, for a 'tag' pool."""
        if self.kind == "tag" and self.key is not None and self.value is not None:
            return {self.key: self.value}
        return None


class Slot(StrictModel):
    """How a preset uses one category."""

    mode: SlotMode = "none"
    id: Identifier | None = None
    """The resource, in fixed mode."""
    pool: Pool | None = None
    """Where a random slot picks from; null = the whole category."""
    fields: list[FieldAddress] | None = None
    """The fields to use; null = the chosen resource's default_fields."""

    def consistency_problems(self) -> Problems:
        problems: Problems = []
        if self.mode != "fixed" and self.id is not None:
            problems.append(
                (("id",), f"only a fixed slot has an id (mode is {self.mode!r})", self.id)
            )
        if self.mode != "random" and self.pool is not None:
            message = f"only a random slot has a pool (mode is {self.mode!r})"
            problems.append((("pool",), message, None))
        if self.mode == "none" and self.fields is not None:
            problems.append((("fields",), "a slot in mode 'none' uses no fields", self.fields))
        if self.mode == "fixed" and self.id is None and not self._has_several_ids():
            problems.append((("id",), "a fixed slot needs the id of a resource", None))
        if self.fields is not None:
            seen: set[str] = set()
            for index, address in enumerate(self.fields):
                if address in seen:
                    problems.append((("fields", index), f"{address!r} is listed twice", address))
                seen.add(address)
        return problems

    def _has_several_ids(self) -> bool:
        return False

    @model_validator(mode="after")
    def _consistent(self) -> Slot:
        raise_at(type(self).__name__, self.consistency_problems())
        return self


class CharacterSlot(Slot):
    outfit: SectionName | None = None
    """Fixed slot only: the wardrobe outfit to wear; null = the character's active outfit.
    Ignored when the preset's outfits slot is used (that outfit replaces the wardrobe)."""

    def consistency_problems(self) -> Problems:
        problems = super().consistency_problems()
        if self.outfit is not None and self.mode != "fixed":
            message = "a wardrobe outfit can only be chosen for a fixed character"
            problems.append((("outfit",), message, self.outfit))
        return problems


class DetailerSlot(Slot):
    """Detailers may be several: fixed takes ``id`` or ``ids``; random picks ``count``."""

    ids: list[Identifier] = Field(default_factory=list)
    count: Annotated[int, Field(ge=1, le=MAX_DETAILERS)] = 1
    """Random slot: how many different detailers to pick (at most the pool's size)."""

    def _has_several_ids(self) -> bool:
        return bool(self.ids)

    def consistency_problems(self) -> Problems:
        problems = super().consistency_problems()
        if self.ids and self.mode != "fixed":
            message = f"only a fixed slot has ids (mode is {self.mode!r})"
            problems.append((("ids",), message, self.ids))
        if self.ids and self.id is not None:
            problems.append((("ids",), "give either 'id' or 'ids', not both", self.ids))
        if len(self.ids) > MAX_DETAILERS:
            problems.append((("ids",), f"at most {MAX_DETAILERS} detailers", self.ids))
        if len(set(self.ids)) != len(self.ids):
            problems.append((("ids",), "an id is listed twice", self.ids))
        if self.count != 1 and self.mode != "random":
            message = f"only a random slot has a count (mode is {self.mode!r})"
            problems.append((("count",), message, self.count))
        return problems

    def fixed_ids(self) -> list[str]:
        """The detailers of a fixed slot, in order."""
        return list(self.ids) if self.ids else [self.id] if self.id is not None else []


class Preset(StrictModel):
    """A saved generation recipe; see the module docstring for slots and sizes."""

    id: Identifier
    slug: str = Field(default="", validate_default=True)
    """Always `slug_from_id(id)`; filled in when missing."""
    name: Name
    description: Description = ""
    tags: Tags = Field(default_factory=dict)
    """Organisational metadata, as for resources (``{"mood": "calm"}``); never prompt text."""

    characters: CharacterSlot = CharacterSlot()
    looks: Slot = Slot()
    outfits: Slot = Slot()
    actions: Slot = Slot()
    styles: Slot = Slot()
    scenes: Slot = Slot()
    detailers: DetailerSlot = DetailerSlot()

    checkpoint: RelativePath | None = None
    """A checkpoint path; null = picked from checkpoint_pool, or given at generation time."""
    checkpoint_pool: list[RelativePath] = Field(default_factory=list)
    """Checkpoints the seed picks from, when `checkpoint` is null."""

    width: ImageSide | None = None
    height: ImageSide | None = None
    orientation: Orientation | None = None

    steps: Steps | None = None
    cfg: Cfg | None = None
    sampler: SamplerName | None = None
    scheduler: SamplerName | None = None
    clip_skip: ClipSkip | None = None
    prompt_weighting: PromptWeighting | None = None
    """Sampler settings; null = the checkpoint's."""

    positive: PromptText = ""
    negative: PromptText = ""
    workflow_template: WorkflowTemplate | None = None
    """A custom ComfyUI workflow; wins over the checkpoint's. Null = the checkpoint's or none."""
    hires: HiresSettings | None = None
    """A second pass every generation runs unless the request turns it off; null = none."""
    loras: Annotated[list[Lora], Field(max_length=MAX_PRESET_LORAS)] = Field(default_factory=list)
    """The preset's own LoRAs, chained after the resources' (see the module docstring)."""

    cover: RelativePath | None = None
    is_favourite: bool = False
    is_nsfw: bool = False

    @field_validator("slug")
    @classmethod
    def _slug_matches_id(cls, value: str, info: ValidationInfo) -> str:
        return matching_slug(value, info.data.get("id"))

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        problems: Problems = []
        if (self.width is None) != (self.height is None):
            missing = "height" if self.height is None else "width"
            problems.append(((missing,), "give both width and height, or neither", None))
        if self.width is not None and self.orientation is not None:
            message = "give either width/height or an orientation, not both"
            problems.append((("orientation",), message, self.orientation))
        if self.checkpoint is not None and self.checkpoint_pool:
            message = "give either a checkpoint or a checkpoint_pool to pick from, not both"
            problems.append((("checkpoint_pool",), message, self.checkpoint_pool))
        if len(set(self.checkpoint_pool)) != len(self.checkpoint_pool):
            problems.append((("checkpoint_pool",), "a checkpoint is listed twice", None))
        seen: set[str] = set()
        for index, lora in enumerate(self.loras):
            if lora.file in seen:
                problems.append((("loras", index, "file"), "this LoRA is listed twice", lora.file))
            seen.add(lora.file)
        raise_at("Preset", problems)
        return self

    def slot(self, category: str) -> Slot:
        """The slot of a category (``"characters"`` ... ``"detailers"``)."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}")
        slot: Slot = getattr(self, category)
        return slot
