"""Presets: saved combinations of library resources, and their seeded resolution into a
`GenerationSpec` (`gaze.presets.resolve`)."""

from gaze.presets.resolve import (
    InMemoryLibrary,
    LibraryView,
    Overrides,
    Resolution,
    ResolutionError,
    resolve_preset,
)
from gaze.presets.schema import ORIENTATION_SIZES, CharacterSlot, DetailerSlot, Pool, Preset, Slot

__all__ = [
    "ORIENTATION_SIZES",
    "CharacterSlot",
    "DetailerSlot",
    "InMemoryLibrary",
    "LibraryView",
    "Overrides",
    "Pool",
    "Preset",
    "Resolution",
    "ResolutionError",
    "Slot",
    "resolve_preset",
]
