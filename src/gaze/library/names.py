"""Display names of library resources, looked up in one query."""

from __future__ import annotations

from collections.abc import Mapping, Set

from sqlalchemy import and_, or_, select

from gaze.db.connection import Database
from gaze.db.models import ResourceRow


def resource_names(
    database: Database, wanted: Mapping[str, Set[str]]
) -> dict[tuple[str, str], str]:
    """(category, id) -> name for the wanted ids of each category that exist."""
    conditions = [
        and_(ResourceRow.category == category, ResourceRow.id.in_(sorted(ids)))
        for category, ids in wanted.items()
        if ids
    ]
    if not conditions:
        return {}
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(ResourceRow.category, ResourceRow.id, ResourceRow.name).where(or_(*conditions))
        ).all()
    return {(row.category, row.id): row.name for row in rows}
