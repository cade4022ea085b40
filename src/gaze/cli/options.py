"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaze.settings import Settings, load_settings

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default $GAZE_DATA_DIR or ./data).")
]


def settings_for(data_dir: Path | None = None, **extra: object) -> Settings:
    """The environment's settings, with the command's own options taking precedence."""
    return load_settings(data_dir=data_dir, **extra)
