"""Models folders for the engines of single test modules."""

from __future__ import annotations

import shutil
from pathlib import Path


def models_with_checkpoints(models_dir: Path, root: Path) -> Path:
    """A new models folder at `root` holding copies of the tiny checkpoints of `models_dir`,
    for an engine whose other model folders (upscalers) a module writes itself."""
    shutil.copytree(models_dir / "checkpoints", root / "checkpoints")
    return root
