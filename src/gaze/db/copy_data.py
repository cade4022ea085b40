"""Copying a whole GAZE database to another (e.g. an embedded SQLite install to PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, func, insert, select, text

from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.db.models import Base

BATCH_ROWS = 1000


class TargetNotEmpty(RuntimeError):
    pass


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def copy_database(
    source: Database, target: Database, report: Callable[[CopiedTable], None] | None = None
) -> list[CopiedTable]:
    """Migrate both databases to the newest schema, then copy every table, parents first.

    The target must hold no GAZE data yet, so that nothing there is overwritten.
    """
    upgrade_to_head(source.engine)
    upgrade_to_head(target.engine)
    tables = Base.metadata.sorted_tables
    with target.engine.connect() as connection:
        for table in tables:
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise TargetNotEmpty(
                    f"the target database already has rows in {table.name!r}; "
                    "migrate-data only fills an empty GAZE database"
                )
    copied: list[CopiedTable] = []
    with source.engine.connect() as reader, target.engine.begin() as writer:
        for table in tables:
            count = 0
            rows = reader.execute(select(table)).mappings()
            while batch := rows.fetchmany(BATCH_ROWS):
                writer.execute(insert(table), [_utc_row(row) for row in batch])
                count += len(batch)
            copied.append(CopiedTable(table.name, count))
            if report:
                report(copied[-1])
        if writer.dialect.name == "postgresql":
            _advance_sequences(writer)
    return copied


def _utc_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    """SQLite hands back naive datetimes; GAZE writes them in UTC, so say so."""
    return {
        key: value.replace(tzinfo=UTC)
        if isinstance(value, datetime) and value.tzinfo is None
        else value
        for key, value in row.items()
    }


def _advance_sequences(connection) -> None:  # type: ignore[no-untyped-def]
    """Explicit ids were inserted: move each serial sequence past the highest one."""
    for table in Base.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )
