"""The example library shipped with GAZE: a few original characters, outfits, actions, styles,
scenes, a detailer, a look, the settings of the tiny demo checkpoint, and presets (among them
``example_01``, "Example Preset", which the API guide's examples use).

The data files are in ``library/``, in the layout `gaze.folders.files.read_library_folder`
reads. They set no covers: covers are made when the examples are installed.
"""

from __future__ import annotations

from pathlib import Path

DEMO_CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"
"""The checkpoint every example preset uses."""


def example_library_path() -> Path:
    """The folder of the example library (inside the installed package)."""
    return Path(__file__).resolve().parent / "library"
