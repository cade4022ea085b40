"""A grid as the grid list shows it: what it runs, what its axes vary, how far it is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gaze.web.rendering import time_ago


def _recipe_title(recipe: Mapping[str, Any]) -> str:
    slots = recipe.get("slots")
    fixed = [
        str(value)
        for value in (slots.values() if isinstance(slots, Mapping) else ())
        if isinstance(value, str)
    ]
    return f"Recipe: {', '.join(fixed)}" if fixed else "Recipe"


def grid_title(grid: Mapping[str, Any]) -> str:
    sweep = grid.get("sweep")
    if sweep:
        return f"Strength sweep: {sweep['category'][:-1]} {sweep['id']}"
    if grid.get("preset"):
        return f"Preset: {grid['preset']}"
    recipe = grid.get("recipe")
    return _recipe_title(recipe) if isinstance(recipe, Mapping) else "Grid"


def axes_text(axes: Mapping[str, Mapping[str, Any]]) -> str:
    """``x: cfg ×3 · y: seed ×2``."""
    parts = []
    for name, axis in axes.items():
        target = axis.get("lora") or axis.get("slot")
        kind = f"{axis['axis']} ({str(target).rsplit('/', 1)[-1]})" if target else axis["axis"]
        parts.append(f"{name}: {kind} ×{len(axis['values'])}")
    return " · ".join(parts)


def grid_summary(grid: Mapping[str, Any]) -> dict[str, Any]:
    progress = grid["progress"]
    ended = progress["done"] + progress["failed"] + progress["cancelled"]
    return {
        "id": grid["grid_id"],
        "url": f"/grids/{grid['grid_id']}",
        "title": grid_title(grid),
        "axes": axes_text(grid["axes"]),
        "cells": progress["total"],
        "progress": progress,
        "percent": round(100 * ended / progress["total"]) if progress["total"] else 100,
        "finished": grid["status"] == "finished",
        "thumbnail": grid["image_url"],
        "created": time_ago(datetime.fromisoformat(grid["created_at"])),
    }
