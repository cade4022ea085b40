"""The library: reusable prompt building blocks (characters, looks, outfits, actions, styles,
scenes, detailers) and checkpoint settings.

`gaze.library.schema` holds the models; `gaze.library.files` reads and writes a library
folder of JSON files (import it directly: it depends on `gaze.presets`).

Services (no HTTP inside; errors from `gaze.service_errors`): `gaze.library.service`
(resources in the database), `gaze.library.checkpoint_catalogue` (checkpoint files of the
backends with their settings, and LoRA files), `gaze.library.folder_transfer` (import and
export of library folders). `gaze.presets.service` is their counterpart for presets.
"""

from gaze.library.schema import (
    CATEGORIES,
    PROMPT_ORDER,
    Action,
    Character,
    CheckpointSettings,
    Detailer,
    Look,
    Lora,
    Outfit,
    Resource,
    Scene,
    Style,
    WardrobeOutfit,
    WeightRange,
    describe_errors,
    resource_model_for,
    slug_from_id,
)

__all__ = [
    "CATEGORIES",
    "PROMPT_ORDER",
    "Action",
    "Character",
    "CheckpointSettings",
    "Detailer",
    "Look",
    "Lora",
    "Outfit",
    "Resource",
    "Scene",
    "Style",
    "WardrobeOutfit",
    "WeightRange",
    "describe_errors",
    "resource_model_for",
    "slug_from_id",
]
