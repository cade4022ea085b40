"""Grids: create one (every cell resolved and checked first, then all its jobs queued in one
batch) and read it back (progress, cells, and once every cell has ended its sheets, built on
the first read that finds it finished)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from gaze.db.models import GridRow, JobRow
from gaze.generation_spec import GenerationSpec
from gaze.grids.axes import AXIS_NAMES, GridRequest, parse_grid_request
from gaze.grids.sheet_files import SheetSource, build_sheets
from gaze.grids.store import FINISHED, GridStore
from gaze.grids.submit import plan_grid
from gaze.jobs.context import JobContext
from gaze.jobs.status import CANCELLED, DONE, FAILED
from gaze.jobs.submission import queue_new_jobs
from gaze.media.storage import STATIC_URL_PREFIX
from gaze.service_errors import NotFound

ENDED = (DONE, FAILED, CANCELLED)
MISSING = "missing"
"""A cell whose job was deleted."""


class GridNotFound(NotFound):
    def __init__(self, grid_id: str) -> None:
        super().__init__(f"No grid with id {grid_id!r}.", code="grid_not_found")


@dataclass(frozen=True)
class CreatedGrid:
    grid_id: str
    batch_id: str
    job_ids: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "grid_id": self.grid_id,
            "batch_id": self.batch_id,
            "jobs": [{"job_id": job_id, "status": "queued"} for job_id in self.job_ids],
        }


def _stored_request(body: Mapping[str, Any], request: GridRequest, base_seed: int) -> dict:
    """The request as it can be sent again for the same grid: its base seed fixed."""
    stored = {key: value for key, value in body.items() if key not in AXIS_NAMES}
    stored["seed"] = base_seed
    for name, axis in request.axes.items():
        stored[name] = axis.to_json()
    return stored


class GridService:
    def __init__(self, context: JobContext, media_dir: Path) -> None:
        self.context = context
        self.media_dir = media_dir
        self.store = GridStore(context.database)

    def create(self, body: Mapping[str, Any], sweep: tuple[str, str] | None = None) -> CreatedGrid:
        """Check and queue a grid (`sweep`: the category and id of the resource a strength sweep
        weighs). Raises InvalidGrid, InvalidOptions, Invalid (a bad recipe), PresetNotFound,
        GenerationRejected, QueueFullRejected: nothing is queued then."""
        request = parse_grid_request(body)
        grid_id, batch_id = str(uuid.uuid4()), str(uuid.uuid4())
        plan = plan_grid(self.context, request, batch_id)
        submission = queue_new_jobs(self.context, batch_id, [cell.job for cell in plan.cells])
        cells = [
            {
                **planned.cell.to_json(),
                "job_id": job_id,
                "width": cast(GenerationSpec, planned.job.spec).width,
                "height": cast(GenerationSpec, planned.job.spec).height,
            }
            for planned, job_id in zip(plan.cells, submission.job_ids, strict=True)
        ]
        axes = {name: axis.to_json() for name, axis in request.axes.items()}
        stored = _stored_request(body, request, plan.base_seed)
        self.store.create(grid_id, batch_id, stored, axes, cells, sweep)
        return CreatedGrid(grid_id, batch_id, submission.job_ids)

    def read(self, grid_id: str) -> dict[str, Any]:
        """The grid's progress, axes and cells; with its sheets once every cell has ended."""
        row = self.store.get(grid_id)
        if row is None:
            raise GridNotFound(grid_id)
        return self._read(row)

    def recent(self, limit: int = 50, sweep: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        """The newest grids first, each as `read` answers; with `sweep`, that resource's
        strength sweeps only."""
        return [self._read(row) for row in self.store.recent(limit, sweep)]

    def _read(self, row: GridRow) -> dict[str, Any]:
        jobs = {job.id: job for job in self.context.jobs.batch(row.batch_id)}
        cells = [_cell_json(cell, jobs.get(cell["job_id"])) for cell in row.cells]
        statuses = [cell["status"] for cell in cells]
        finished = all(status in (*ENDED, MISSING) for status in statuses)
        sheets = row.sheets or []
        if finished and row.status != FINISHED:
            paths = [_relative_path(jobs.get(cell["job_id"])) for cell in row.cells]
            sheets = self._build(row, cells, paths)
        return {
            "grid_id": row.id,
            "batch_id": row.batch_id,
            "status": FINISHED if finished else "running",
            "created_at": row.created_at.isoformat(),
            "preset": row.request.get("preset"),
            "recipe": row.request.get("recipe"),
            "sweep": _sweep_json(row),
            "seed": row.request.get("seed"),
            "progress": _progress(statuses),
            "axes": row.axes,
            "cells": cells,
            "image_url": sheets[0]["image_url"] if finished and sheets else None,
            "sheets": sheets if finished else [],
        }

    def _build(
        self, row: GridRow, cells: list[dict[str, Any]], paths: list[str | None]
    ) -> list[dict[str, Any]]:
        source = SheetSource(
            grid_id=row.id, request=row.request, axes=row.axes, cells=cells, relative_paths=paths
        )
        built = build_sheets(self.media_dir, source)
        sheets = [
            {
                "z": sheet.z,
                "image_url": f"{STATIC_URL_PREFIX}/{sheet.relative_path}",
                "width": sheet.width,
                "height": sheet.height,
                "cells": {
                    "left": sheet.layout.left,
                    "top": sheet.layout.top,
                    "width": sheet.layout.cell_width,
                    "height": sheet.layout.cell_height,
                },
            }
            for sheet in built
        ]
        if not self.store.finish(row.id, sheets):
            stored = self.store.get(row.id)
            return list(stored.sheets or []) if stored else sheets
        return sheets


def _sweep_json(row: GridRow) -> dict[str, str] | None:
    if row.sweep_category is None or row.sweep_resource_id is None:
        return None
    return {"category": row.sweep_category, "id": row.sweep_resource_id}


def _cell_json(cell: Mapping[str, Any], job: JobRow | None) -> dict[str, Any]:
    status = job.status if job is not None else MISSING
    found = {
        "x": cell["x"],
        "y": cell["y"],
        "z": cell["z"],
        "labels": cell["labels"],
        "job_id": cell["job_id"],
        "status": status,
        "width": cell["width"],
        "height": cell["height"],
        "image_url": None,
    }
    if job is not None and status == DONE and job.result:
        found["image_url"] = job.result.get("image_url")
    return found


def _relative_path(job: JobRow | None) -> str | None:
    if job is None or job.status != DONE or not job.result:
        return None
    path = job.result.get("relative_path")
    return path if isinstance(path, str) else None


def _progress(statuses: list[str]) -> dict[str, int]:
    return {
        "total": len(statuses),
        "done": statuses.count(DONE),
        "failed": statuses.count(FAILED) + statuses.count(MISSING),
        "cancelled": statuses.count(CANCELLED),
        "pending": sum(status not in (*ENDED, MISSING) for status in statuses),
    }
