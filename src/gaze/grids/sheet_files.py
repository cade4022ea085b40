"""A finished grid's sheets as files: one PNG per z value at `grids/<grid id>_z<k>.png` under
the media folder, carrying the grid's request so that it can be made again."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, UnidentifiedImageError

from gaze.grids.sheet import SheetCell, SheetLayout, encode_sheet, render_sheet

GRIDS_FOLDER = "grids"


@dataclass(frozen=True)
class SheetSource:
    grid_id: str
    request: Mapping[str, Any]
    axes: Mapping[str, Any]
    cells: Sequence[Mapping[str, Any]]
    """Cells as the grid reads them: x, y, z, labels, status, width, height."""
    relative_paths: Sequence[str | None]
    """Each cell's image under the media folder (None: no image)."""


@dataclass(frozen=True)
class BuiltSheet:
    z: Any
    """The z axis's value of this sheet, or None without a z axis."""
    relative_path: str
    width: int
    height: int
    layout: SheetLayout


def _labels(cells: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    found: dict[int, str] = {}
    for cell in cells:
        label = cell["labels"].get(name)
        if label is not None:
            found.setdefault(cell[name], label)
    return [found[index] for index in sorted(found)]


def _open(media_dir: Path, relative_path: str | None) -> Image.Image | None:
    if relative_path is None:
        return None
    path = PurePosixPath(relative_path)
    if path.is_absolute() or ".." in path.parts:
        return None
    try:
        with Image.open(media_dir / path) as image:
            image.load()
            return image.copy()
    except (OSError, UnidentifiedImageError):
        return None


def describe(source: SheetSource) -> str:
    """The `parameters` text of a sheet: what the grid varied, and its request."""
    axes = "; ".join(
        f"{name}: {axis['axis']} {json.dumps(axis['values'])}" for name, axis in source.axes.items()
    )
    return (
        f"GAZE grid {source.grid_id} of preset {source.request.get('preset')}, "
        f"seed {source.request.get('seed')}. Axes: {axes}.\n"
        f"Make it again: POST /api/v1/grids {json.dumps(source.request, sort_keys=True)}"
    )


def _write(media_dir: Path, relative_path: str, data: bytes) -> None:
    target = media_dir / relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def build_sheets(media_dir: Path, source: SheetSource) -> list[BuiltSheet]:
    """Render and save every sheet of a finished grid, in z order."""
    cells = source.cells
    columns = max(cell["x"] for cell in cells) + 1
    rows = max(cell["y"] for cell in cells) + 1
    sheets = max(cell["z"] for cell in cells) + 1
    fallback = (max(cell["width"] for cell in cells), max(cell["height"] for cell in cells))
    x_labels, y_labels, z_labels = (_labels(cells, name) for name in ("x", "y", "z"))
    z_values = source.axes.get("z", {}).get("values", [None])
    parameters = describe(source)
    built = []
    for z in range(sheets):
        grid: list[list[SheetCell]] = [
            [SheetCell(None, "failed") for _ in range(columns)] for _ in range(rows)
        ]
        for cell, path in zip(cells, source.relative_paths, strict=True):
            if cell["z"] != z:
                continue
            image = _open(media_dir, path)
            state = "cancelled" if cell["status"] == "cancelled" else "failed"
            grid[cell["y"]][cell["x"]] = SheetCell(image, state)
        title = z_labels[z] if z_labels else None
        sheet, layout = render_sheet(grid, x_labels, y_labels, title, fallback_size=fallback)
        description = {"grid": dict(source.request), "grid_id": source.grid_id, "z": z_values[z]}
        relative_path = f"{GRIDS_FOLDER}/{source.grid_id}_z{z}.png"
        _write(media_dir, relative_path, encode_sheet(sheet, parameters, description))
        built.append(BuiltSheet(z_values[z], relative_path, sheet.width, sheet.height, layout))
    return built
