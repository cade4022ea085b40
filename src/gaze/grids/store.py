"""Grids in the database: created with their cells' jobs, read back, their sheets recorded once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

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
        sweep: tuple[str, str] | None = None,
    ) -> GridRow:
        """A new running grid; `sweep` is the (category, resource id) a strength sweep weighs."""
        row = GridRow(
            id=grid_id,
            batch_id=batch_id,
            status=RUNNING,
            request=request,
            axes=axes,
            cells=cells,
            sheets=None,
            sweep_category=sweep[0] if sweep else None,
            sweep_resource_id=sweep[1] if sweep else None,
        )
        with self.database.session() as session:
            session.add(row)
        return row

    def get(self, grid_id: str) -> GridRow | None:
        with self.database.session() as session:
            return session.get(GridRow, grid_id)

    def recent(self, limit: int, sweep: tuple[str, str] | None = None) -> list[GridRow]:
        """The newest grids first; with `sweep`, only that resource's strength sweeps."""
        query = select(GridRow).order_by(GridRow.created_at.desc(), GridRow.id).limit(limit)
        if sweep is not None:
            query = query.where(
                GridRow.sweep_category == sweep[0], GridRow.sweep_resource_id == sweep[1]
            )
        with self.database.session() as session:
            return list(session.scalars(query))

    def finish(self, grid_id: str, sheets: list[dict[str, Any]]) -> bool:
        """Record the sheets; False when another request recorded them first."""
        with self.database.session() as session:
            result = session.execute(
                update(GridRow)
                .where(GridRow.id == grid_id, GridRow.status == RUNNING)
                .values(status=FINISHED, sheets=sheets)
            )
            return bool(getattr(result, "rowcount", 0))
