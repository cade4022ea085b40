"""Hypothesis strategies: generated libraries, and valid presets over a given library."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from gaze.library.schema import CATEGORIES, CheckpointSettings, Resource, resource_model_for
from gaze.library.view import InMemoryLibrary
from gaze.presets.schema import Preset

TAGS = [
    "red",
    "Red",
    "blue hair",
    "Blue  Hair",
    "(smile:1.2)",
    "(Smile:1.2)",
    "(red dress, hat:1.1)",
    r"yuuki \(series\)",
    "[faded]",
    "1girl",
    "1GIRL",
    "night",
    "sunset",
    "beach",
]
CHECKPOINT_PATHS = ["sd1/a.safetensors", "sd1/b.safetensors", "sdxl/c.safetensors"]
LORA_FILES = ["l/one.safetensors", "l/two.safetensors", "l/three.safetensors"]

prompt_text = st.lists(st.sampled_from(TAGS), max_size=4).map(lambda tags: ", ".join(tags))
prompt_value = st.one_of(prompt_text, st.lists(prompt_text, max_size=3))
tag_value = st.one_of(
    st.sampled_from(["a", "b", "C"]), st.lists(st.sampled_from(["a", "b", "c"]), max_size=2)
)


@st.composite
def lora(draw: st.DrawFn) -> dict[str, Any] | None:
    if not draw(st.booleans()):
        return None
    weight: Any
    if draw(st.booleans()):
        weight = draw(st.floats(-2, 2, allow_nan=False).map(lambda value: round(value, 3)))
    else:
        low = draw(st.floats(0, 1.5, allow_nan=False))
        weight = {"min": low, "max": low + draw(st.floats(0, 0.5, allow_nan=False))}
    document: dict[str, Any] = {
        "file": draw(st.sampled_from(LORA_FILES)),
        "weight": weight,
        "triggers": draw(st.lists(st.sampled_from(TAGS), max_size=2)),
    }
    if draw(st.booleans()):
        document["clip_weight"] = draw(st.sampled_from([0.5, 1.0]))
    return document


@st.composite
def resource_document(
    draw: st.DrawFn, category: str, number: int, outfit_ids: list[str]
) -> dict[str, Any]:
    sections = draw(
        st.lists(st.sampled_from(["main", "extra", "mood"]), min_size=1, max_size=2, unique=True)
    )
    fields = {
        section: draw(
            st.dictionaries(st.sampled_from(["a", "b", "c"]), prompt_value, min_size=1, max_size=3)
        )
        for section in sections
    }
    document: dict[str, Any] = {
        "id": f"{category[:3]}_{number}",
        "name": f"{category} {number}",
        "fields": fields,
        "tags": draw(st.dictionaries(st.sampled_from(["kind", "mood"]), tag_value, max_size=2)),
        "is_favourite": draw(st.booleans()),
    }
    addresses = [f"{section}::{key}" for section, keys in fields.items() for key in keys]
    if category == "characters":
        identity = draw(
            st.dictionaries(st.sampled_from(["base", "hair"]), prompt_value, max_size=2)
        )
        document["identity"] = identity
        addresses += [f"identity::{key}" for key in identity]
        wardrobe: dict[str, Any] = {}
        for key in draw(
            st.lists(st.sampled_from(["usual", "formal", "sport"]), max_size=3, unique=True)
        ):
            if outfit_ids and draw(st.booleans()):
                wardrobe[key] = {"outfit_id": draw(st.sampled_from(outfit_ids))}
            else:
                wardrobe[key] = {
                    "fields": draw(st.dictionaries(st.sampled_from(["top", "shoes"]), prompt_value))
                }
        document["wardrobe"] = wardrobe
        document["active_outfit"] = draw(st.sampled_from(sorted(wardrobe))) if wardrobe else None
    if category == "detailers":
        document["prompt_tags"] = draw(st.lists(st.sampled_from(TAGS), max_size=3))
    document["default_fields"] = draw(st.lists(st.sampled_from(addresses), unique=True, max_size=4))
    lora_document = draw(lora())
    if lora_document is not None:
        document["lora"] = lora_document
    return document


@st.composite
def libraries(
    draw: st.DrawFn, max_per_category: int = 5
) -> tuple[list[Resource], list[CheckpointSettings]]:
    """At least one resource per category (outfits first: characters' wardrobes refer to them)."""
    resources: list[Resource] = []
    outfit_ids: list[str] = []
    for category in ("outfits", *[category for category in CATEGORIES if category != "outfits"]):
        count = draw(st.integers(1, max_per_category))
        for number in range(count):
            document = draw(resource_document(category, number, outfit_ids))
            resources.append(resource_model_for(category).model_validate(document))
        if category == "outfits":
            outfit_ids = [resource.id for resource in resources]
    checkpoints = [
        CheckpointSettings.model_validate(
            {
                "path": path,
                "base_model": path.split("/")[0],
                "prefix": draw(prompt_text),
                "negative_prefix": draw(prompt_text),
            }
        )
        for path in CHECKPOINT_PATHS
    ]
    return resources, checkpoints


@st.composite
def slot_document(draw: st.DrawFn, category: str, library: InMemoryLibrary) -> dict[str, Any]:
    ids = library.ids(category)
    mode = draw(st.sampled_from(["none", "fixed", "random"]))
    if mode == "none":
        return {"mode": "none"}
    slot: dict[str, Any] = {"mode": mode}
    chosen_resources: list[Resource] = []
    if mode == "fixed":
        if category == "detailers" and draw(st.booleans()):
            slot["ids"] = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
            chosen_resources = [library.get(category, key) for key in slot["ids"]]  # type: ignore[misc]
        else:
            slot["id"] = draw(st.sampled_from(ids))
            chosen_resources = [library.get(category, slot["id"])]  # type: ignore[list-item]
        if category == "characters" and draw(st.booleans()):
            wardrobe = sorted(chosen_resources[0].wardrobe)  # type: ignore[attr-defined]
            if wardrobe:
                slot["outfit"] = draw(st.sampled_from(wardrobe))
    else:
        kind = draw(st.sampled_from(["all", "list", "tag", None]))
        if kind == "list":
            slot["pool"] = {
                "kind": "list",
                "ids": draw(st.lists(st.sampled_from(ids), min_size=1, unique=True)),
            }
        elif kind == "tag":
            tagged = [
                (key, value if isinstance(value, str) else value[0])
                for resource_id in ids
                for key, value in library.get(category, resource_id).tags.items()  # type: ignore[union-attr]
                if value
            ]
            if tagged:
                key, value = draw(st.sampled_from(tagged))
                slot["pool"] = {"kind": "tag", "key": key, "value": value.upper()}
        elif kind == "all":
            slot["pool"] = {"kind": "all"}
        if category == "detailers":
            slot["count"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        if chosen_resources:
            addresses = sorted({a for r in chosen_resources for a in r.field_addresses()})
            if category == "detailers" and len(chosen_resources) > 1:
                common = set.intersection(*(set(r.field_addresses()) for r in chosen_resources))
                addresses = sorted(common)
        else:
            addresses = [
                "main::a",
                "main::b",
                "extra::c",
                "mood::a",
                "identity::base",
                "nothing::here",
            ]
        if addresses:
            slot["fields"] = draw(st.lists(st.sampled_from(addresses), unique=True, max_size=4))
    return slot


@st.composite
def presets(draw: st.DrawFn, library: InMemoryLibrary) -> Preset:
    document: dict[str, Any] = {"id": "generated", "name": "Generated"}
    for category in CATEGORIES:
        document[category] = draw(slot_document(category, library))
    if draw(st.booleans()):
        document["checkpoint"] = draw(st.sampled_from(CHECKPOINT_PATHS))
    else:
        document["checkpoint_pool"] = draw(
            st.lists(st.sampled_from(CHECKPOINT_PATHS), min_size=1, unique=True)
        )
    size = draw(st.sampled_from(["none", "explicit", "orientation"]))
    if size == "explicit":
        document["width"] = draw(st.sampled_from([512, 768, 1024]))
        document["height"] = draw(st.sampled_from([512, 768, 1024]))
    elif size == "orientation":
        document["orientation"] = draw(st.sampled_from(["portrait", "landscape", "square"]))
    document["positive"] = draw(prompt_text)
    document["negative"] = draw(prompt_text)
    if draw(st.booleans()):
        document["steps"] = draw(st.integers(1, 60))
    return Preset.model_validate(document)


seeds = st.integers(0, 2**64 - 1)
