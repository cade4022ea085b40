"""Grids in the database: created with their cells' jobs, read back, their sheets recorded once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from gaze.db.connection import Database
from gaze.db.models import GridRow

RUNNING, FINISHED = "running", "finished"


class GridStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(
        self,
        grid_id: str,
        batch_id: str,
        request: dict[str, Any],
        axes: dict[str, Any],
        cells: list[dict[str, Any]],
    ) -> GridRow:
        row = GridRow(
            id=grid_id,
            batch_id=batch_id,
            status=RUNNING,
            request=request,
            axes=axes,
            cells=cells,
            sheets=None,
        )
        with self.database.session() as session:
            session.add(row)
        return row

    def get(self, grid_id: str) -> GridRow | None:
        with self.database.session() as session:
            return session.get(GridRow, grid_id)

    def finish(self, grid_id: str, sheets: list[dict[str, Any]]) -> bool:
        """Record the sheets; False when another request recorded them first."""
        with self.database.session() as session:
            result = session.execute(
                update(GridRow)
                .where(GridRow.id == grid_id, GridRow.status == RUNNING)
                .values(status=FINISHED, sheets=sheets)
            )
            return bool(getattr(result, "rowcount", 0))
