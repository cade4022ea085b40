"""Preset resolution: (preset, library, overrides, seed) -> one fully determined generation.

`resolve_preset` is pure: it reads the library through the `LibraryView` protocol, does no
I/O, and every random choice comes from the seed. Each choice draws from its own stream,
named by what it chooses (``characters:pick``, ``characters:lora_weight``, ``checkpoint:pick``,
``detailers:pick:2``, ``wildcards:...``): a stream's number is the first 64 bits of BLAKE2b over
``"<seed>:<stream name>"`` (`gaze.prompts.seeded`). So the same seed always resolves the same
way, whatever other slots do, and adding a resource to one category never changes the picks of
another. Changing these names or the draw functions changes what every stored seed means:
don't, without a migration note.

Wildcards (``{a|b}``, ``__wordlist__``; `gaze.presets.prompt_wildcards`) are picked in every text
before its tags are split; their picks are ``choices["wildcards"]`` (absent when there are none).

Prompt order: checkpoint prefix, characters, looks, outfits, actions, scenes, styles, detailers,
LoRA trigger words, the preset's positive text, the request's extra positive text. Tags are
split and de-duplicated as `gaze.prompts.tags` describes. A character's wardrobe outfit takes
the outfits position; a used outfits slot replaces the wardrobe outfit. LoRAs are chained in
the same order, then the preset's own ``loras`` (their triggers join the resources'); a LoRA
file already in the chain is not added twice: the first use wins, so a resource's LoRA keeps its
weight over the same file in the preset's own list (whose pick then says ``applied: false``).

Size: overrides (width and height) > the preset's width/height > the preset's orientation for
the checkpoint's base model > the checkpoint's default size.

Hires pass: the override (a pass, or None for none) > the preset's ``hires`` > none.

Slots: the override's slots replace the preset's (by category) before anything is chosen, so a
replaced slot draws from the same streams the preset's own would.

Safe-for-work callers (``sfw_only``): see `gaze.presets.sfw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from gaze.generation_spec import (
    DEFAULT_PROMPT_WEIGHTING,
    GenerationSpec,
    HiresSpec,
    LoraSpec,
    seed_problem,
)
from gaze.library.schema import (
    PROMPT_ORDER,
    Character,
    CheckpointSettings,
    Detailer,
    Lora,
    Resource,
    WeightRange,
)
from gaze.library.view import LibraryView
from gaze.presets.prompt_wildcards import PromptWildcards
from gaze.presets.schema import ORIENTATION_SIZES, CharacterSlot, DetailerSlot, Preset, Slot
from gaze.presets.sfw import refused_outfit, refused_pool, refused_preset, refused_resource
from gaze.prompts.seeded import SeedDraws
from gaze.prompts.tags import TagList
from gaze.prompts.wildcards import WildcardError

PRESET_LORA_STREAM = "loras:weight"
"""The stream of a preset's own LoRA weight range, followed by ``:<index in loras>``."""


class ResolutionError(ValueError):
    """The preset cannot be resolved against this library (unknown id, empty pool...)."""


# --- inputs and outputs ------------------------------------------------------------------------


class PresetDefault(Enum):
    """An override left to the preset."""

    PRESET = "preset"


FROM_PRESET: Final = PresetDefault.PRESET


@dataclass(frozen=True)
class Overrides:
    """Per-request changes to a preset (the API's generate body, less count and seed)."""

    checkpoint: str | None = None
    extra_positive: str = ""
    extra_negative: str = ""
    width: int | None = None
    height: int | None = None
    hires: HiresSpec | PresetDefault | None = FROM_PRESET
    """A hires pass, None for none, or FROM_PRESET: the preset's (if it has one)."""
    slots: Mapping[str, Slot] = field(default_factory=dict)
    """Slots replacing the preset's, by category (`gaze.presets.slot_overrides`)."""

    def __post_init__(self) -> None:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither")
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer")
            if not 64 <= value <= 4096 or value % 8:
                raise ValueError(f"{name} must be a multiple of 8 between 64 and 4096, got {value}")


@dataclass(frozen=True)
class Resolution:
    """The resolved generation, and what was chosen for it (JSON-serialisable).

    ``choices`` has ``checkpoint`` ({path, source}), ``size`` ({width, height, source}) and one
    list per category of ``{id, name, mode, fields, lora}`` picks (empty when unused);
    character picks also carry ``outfit`` (the wardrobe outfit worn, or null), and detailer
    picks their ``prompt_tags``. ``lora`` is ``{file, weight, clip_weight}`` or null. A preset
    with its own LoRAs adds ``loras``: one ``{file, weight, clip_weight, applied}`` each.
    """

    spec: GenerationSpec
    choices: dict[str, Any] = field(default_factory=dict)


# --- resolution ----------------------------------------------------------------------------------


@dataclass
class _Contribution:
    """What one chosen resource adds: prompt texts, and maybe a LoRA."""

    texts: list[str | list[str]]
    lora: Lora | None
    lora_stream: str
    record: dict[str, Any]


class _Resolver:
    def __init__(
        self, preset: Preset, library: LibraryView, seed: int, *, sfw_only: bool = False
    ) -> None:
        self.preset = preset
        self.library = library
        self.seed = seed
        self.sfw_only = sfw_only
        self.draws = SeedDraws(seed)
        self.wildcards = PromptWildcards(seed, library, sfw_only=sfw_only)

    def fail(self, message: str) -> ResolutionError:
        return ResolutionError(f"preset {self.preset.id!r}: {message}")

    # checkpoint and size

    def checkpoint(self, override: str | None) -> tuple[CheckpointSettings, dict[str, Any]]:
        preset = self.preset
        if override:
            path, source = override, "override"
        elif preset.checkpoint is not None:
            path, source = preset.checkpoint, "preset"
        elif preset.checkpoint_pool:
            pool = sorted(preset.checkpoint_pool)
            path, source = pool[self.draws.pick_index("checkpoint:pick", len(pool))], "pool"
        else:
            raise self.fail("no checkpoint: the preset names none and none was given")
        settings = self.library.checkpoint(path)
        if settings is None:
            raise self.fail(f"unknown checkpoint {path!r} ({source})")
        return settings, {"path": path, "source": source}

    def size(self, settings: CheckpointSettings, overrides: Overrides) -> tuple[int, int, str]:
        preset = self.preset
        if overrides.width is not None and overrides.height is not None:
            return overrides.width, overrides.height, "override"
        if preset.width is not None and preset.height is not None:
            return preset.width, preset.height, "preset"
        if preset.orientation is not None:
            width, height = ORIENTATION_SIZES[settings.base_model][preset.orientation]
            return width, height, "orientation"
        return settings.width, settings.height, "checkpoint"

    # slots

    def resource(self, category: str, resource_id: str, role: str) -> Resource:
        resource = self.library.get(category, resource_id)
        if resource is None:
            raise self.fail(f"{role}: unknown {category} id {resource_id!r}")
        return resource

    def safe(self, category: str, resource: Resource) -> Resource:
        """The resource a slot fixes; NsfwRefused for a safe-for-work caller if it is NSFW."""
        if self.sfw_only and resource.is_nsfw:
            raise refused_resource(category, resource.id)
        return resource

    def pool(self, category: str, slot: Slot) -> list[str]:
        """The ids a random slot picks from, in code point order (whatever order a library
        or a database collation returns, the same seed must pick the same resource); for a
        safe-for-work caller without those flagged NSFW (NsfwRefused if none is left)."""
        ids = self.any_pool(category, slot)
        if not self.sfw_only:
            return ids
        flagged = self.library.nsfw_ids(category)
        allowed = [resource_id for resource_id in ids if resource_id not in flagged]
        if not allowed:
            raise refused_pool(category)
        return allowed

    def any_pool(self, category: str, slot: Slot) -> list[str]:
        pool = slot.pool
        if pool is None or pool.kind == "all":
            ids = sorted(self.library.ids(category, None))
            if not ids:
                raise self.fail(f"{category}: random from all, but the library has no {category}")
            return ids
        if pool.kind == "list":
            for resource_id in pool.ids:
                self.resource(category, resource_id, f"{category} pool")
            return sorted(pool.ids)
        ids = sorted(self.library.ids(category, pool.tag_filter()))
        if not ids:
            raise self.fail(f"{category}: no {category} have the tag {pool.key}={pool.value!r}")
        return ids

    def chosen(self, category: str, slot: Slot) -> list[tuple[Resource, str]]:
        """The resources a slot chooses, with the mode that chose them."""
        if slot.mode == "none":
            return []
        if slot.mode == "fixed":
            ids = slot.fixed_ids() if isinstance(slot, DetailerSlot) else [slot.id or ""]
            return [
                (self.safe(category, self.resource(category, resource_id, category)), "fixed")
                for resource_id in ids
            ]
        pool = self.pool(category, slot)
        count = slot.count if isinstance(slot, DetailerSlot) else 1
        picked = []
        for index in range(min(count, len(pool))):
            stream = f"{category}:pick" if index == 0 else f"{category}:pick:{index}"
            picked.append(pool.pop(self.draws.pick_index(stream, len(pool))))
        return [
            (self.resource(category, resource_id, category), "random") for resource_id in picked
        ]

    def fields(self, category: str, slot: Slot, resource: Resource, mode: str) -> list[str]:
        if slot.fields is None:
            return list(resource.default_fields)
        if mode == "fixed":
            for address in slot.fields:
                if resource.field_value(address) is None:
                    raise self.fail(f"{category}: {resource.id!r} has no field {address!r}")
            return list(slot.fields)
        # A random pick uses the listed fields it has: pool members need not share fields.
        return [address for address in slot.fields if resource.field_value(address) is not None]

    def contribution(
        self, category: str, slot: Slot, resource: Resource, mode: str, position: int
    ) -> _Contribution:
        addresses = self.fields(category, slot, resource, mode)
        texts = self.field_texts(f"wildcards:{category}:{resource.id}", resource, addresses)
        record: dict[str, Any] = {
            "id": resource.id,
            "name": resource.name,
            "mode": mode,
            "fields": addresses,
        }
        if isinstance(resource, Detailer):
            stream = f"wildcards:{category}:{resource.id}:prompt_tags"
            texts.append(self.wildcards.value(list(resource.prompt_tags), stream))
            record["prompt_tags"] = list(resource.prompt_tags)
        stream = (
            f"{category}:lora_weight" if position == 0 else f"{category}:lora_weight:{position}"
        )
        return _Contribution(texts, resource.lora, stream, record)

    def wardrobe_outfit(self, character: Character, slot: CharacterSlot) -> _Contribution | None:
        key = slot.outfit if slot.mode == "fixed" and slot.outfit else character.active_outfit
        if key is None:
            return None
        outfit = character.wardrobe.get(key)
        if outfit is None:
            known = ", ".join(repr(name) for name in character.wardrobe) or "none"
            raise self.fail(f"character {character.id!r} has no outfit {key!r} (outfits: {known})")
        record: dict[str, Any] = {"key": key, "outfit_id": outfit.outfit_id}
        if outfit.fields is not None:
            record["fields"] = list(outfit.fields)
            stream = f"wildcards:wardrobe:{character.id}:{key}"
            own = [
                self.wildcards.value(value, stream, name) for name, value in outfit.fields.items()
            ]
            return _Contribution(own, None, "", record)
        assert outfit.outfit_id is not None
        referenced = self.resource("outfits", outfit.outfit_id, f"wardrobe of {character.id!r}")
        if self.sfw_only and referenced.is_nsfw:
            raise refused_outfit(referenced.id, character.id)
        addresses = list(referenced.default_fields)
        texts = self.field_texts(f"wildcards:outfits:{referenced.id}", referenced, addresses)
        record["fields"] = addresses
        return _Contribution(texts, referenced.lora, "wardrobe:lora_weight", record)

    def field_texts(
        self, stream: str, resource: Resource, addresses: list[str]
    ) -> list[str | list[str]]:
        """The texts of a resource's fields (those it has), wildcards picked."""
        texts: list[str | list[str]] = []
        for address in addresses:
            value = resource.field_value(address)
            if value is not None:
                texts.append(self.wildcards.value(value, stream, address))
        return texts


def _lora_spec(
    lora: Lora | None, stream: str, draws: SeedDraws
) -> tuple[LoraSpec | None, dict | None]:
    if lora is None:
        return None, None
    weight = lora.weight
    if isinstance(weight, WeightRange):
        model_weight = draws.pick_weight(stream, weight.min, weight.max)
    else:
        model_weight = float(weight)
    clip_weight = model_weight if lora.clip_weight is None else float(lora.clip_weight)
    record = {"file": lora.file, "weight": model_weight, "clip_weight": clip_weight}
    return LoraSpec(lora.file, model_weight, clip_weight), record


def _hires(preset: Preset, override: HiresSpec | PresetDefault | None) -> HiresSpec | None:
    if override is not FROM_PRESET:
        return override
    return preset.hires.to_spec() if preset.hires is not None else None


def resolve_preset(
    preset: Preset,
    library: LibraryView,
    overrides: Overrides,
    seed: int,
    *,
    sfw_only: bool = False,
) -> Resolution:
    """Resolve a preset for one generation. Raises ResolutionError if it cannot be resolved;
    with `sfw_only` (a safe-for-work caller), NsfwRefused for what it may not use."""
    try:
        return _resolve(preset, library, overrides, seed, sfw_only)
    except WildcardError as error:
        raise ResolutionError(f"preset {preset.id!r}: {error}") from None


def _resolve(
    preset: Preset, library: LibraryView, overrides: Overrides, seed: int, sfw_only: bool
) -> Resolution:
    problem = seed_problem(seed)
    if problem:
        raise ResolutionError(f"seed {problem}")
    if sfw_only and preset.is_nsfw:
        raise refused_preset(preset.id)
    if overrides.slots:
        preset = preset.model_copy(update=dict(overrides.slots))
    resolver = _Resolver(preset, library, seed, sfw_only=sfw_only)
    settings, checkpoint_choice = resolver.checkpoint(overrides.checkpoint)
    width, height, size_source = resolver.size(settings, overrides)

    contributions: dict[str, list[_Contribution]] = {category: [] for category in PROMPT_ORDER}
    choices: dict[str, Any] = {
        "checkpoint": checkpoint_choice,
        "size": {"width": width, "height": height, "source": size_source},
    }
    for category in PROMPT_ORDER:
        slot = preset.slot(category)
        picks = []
        for position, (resource, mode) in enumerate(resolver.chosen(category, slot)):
            contribution = resolver.contribution(category, slot, resource, mode, position)
            contributions[category].append(contribution)
            picks.append(contribution.record)
            if isinstance(resource, Character):
                contribution.record["outfit"] = None
                if preset.outfits.mode == "none":
                    worn = resolver.wardrobe_outfit(resource, preset.characters)
                    if worn is not None:
                        contributions["outfits"].append(worn)
                        contribution.record["outfit"] = worn.record
        choices[category] = picks

    wildcards = resolver.wildcards
    positive = TagList()
    positive.add_text(wildcards.text(settings.prefix, "wildcards:prefix"))
    loras: list[LoraSpec] = []
    lora_files: set[str] = set()
    triggers: list[str] = []
    for category in PROMPT_ORDER:
        for contribution in contributions[category]:
            for text in contribution.texts:
                positive.add(text)
            lora_spec, record = _lora_spec(
                contribution.lora, contribution.lora_stream, resolver.draws
            )
            contribution.record["lora"] = record
            if lora_spec is not None:
                assert contribution.lora is not None
                triggers.extend(contribution.lora.triggers)
                if lora_spec.name not in lora_files:
                    lora_files.add(lora_spec.name)
                    loras.append(lora_spec)
    own_loras: list[dict[str, Any]] = []
    for index, lora in enumerate(preset.loras):
        lora_spec, record = _lora_spec(lora, f"{PRESET_LORA_STREAM}:{index}", resolver.draws)
        assert lora_spec is not None and record is not None
        triggers.extend(lora.triggers)
        record["applied"] = lora_spec.name not in lora_files
        if record["applied"]:
            lora_files.add(lora_spec.name)
            loras.append(lora_spec)
        own_loras.append(record)
    if own_loras:
        choices["loras"] = own_loras
    positive.add(triggers)
    positive.add_text(wildcards.text(preset.positive, "wildcards:positive"))
    positive.add_text(wildcards.text(overrides.extra_positive, "wildcards:extra_positive"))

    negative = TagList()
    negative.add_text(wildcards.text(settings.negative_prefix, "wildcards:negative_prefix"))
    negative.add_text(wildcards.text(preset.negative, "wildcards:negative"))
    negative.add_text(wildcards.text(overrides.extra_negative, "wildcards:extra_negative"))
    if wildcards.picks:
        choices["wildcards"] = wildcards.picks

    spec = GenerationSpec(
        positive=positive.text(),
        negative=negative.text(),
        checkpoint=settings.path,
        width=width,
        height=height,
        steps=preset.steps if preset.steps is not None else settings.steps,
        cfg=float(preset.cfg if preset.cfg is not None else settings.cfg),
        sampler=preset.sampler or settings.sampler,
        scheduler=preset.scheduler or settings.scheduler,
        seed=seed,
        loras=tuple(loras),
        vae=settings.vae,
        clip_skip=preset.clip_skip if preset.clip_skip is not None else settings.clip_skip,
        prompt_weighting=(
            preset.prompt_weighting or settings.prompt_weighting or DEFAULT_PROMPT_WEIGHTING
        ),
        workflow_template=preset.workflow_template or settings.workflow_template,
        hires=_hires(preset, overrides.hires),
    )
    return Resolution(spec=spec, choices=choices)
