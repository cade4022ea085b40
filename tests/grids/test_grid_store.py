"""The grids table on SQLite and PostgreSQL: migration 0003 down and up, and a grid's sheets
recorded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import alembic_config, upgrade_to_head
from gaze.grids.store import FINISHED, RUNNING, GridStore


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        opened = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
        yield opened
        opened.dispose()
        return
    with scratch_postgres_database() as url:
        opened = Database(url)
        yield opened
        opened.dispose()


def test_migration_adds_and_removes_the_grids_table(database: Database) -> None:
    upgrade_to_head(database.engine)
    assert "grids" in inspect(database.engine).get_table_names()
    command.downgrade(alembic_config(database.engine), "0002")
    assert "grids" not in inspect(database.engine).get_table_names()
    upgrade_to_head(database.engine)
    store = GridStore(database)
    cells = [{"x": 0, "y": 0, "z": 0, "labels": {"x": "Seed: 1"}, "job_id": "j1"}]
    store.create("g1", "b1", {"preset": "p", "seed": 1}, {"x": {"axis": "seed"}}, cells)
    row = store.get("g1")
    assert row is not None
    assert (row.status, row.cells, row.sheets) == (RUNNING, cells, None)
    sheets = [{"z": None, "image_url": "/static/uploads/grids/g1_z0.png"}]
    assert store.finish("g1", sheets) is True
    assert store.finish("g1", [{"z": None, "image_url": "other"}]) is False
    finished = store.get("g1")
    assert finished is not None and (finished.status, finished.sheets) == (FINISHED, sheets)
    assert store.get("nope") is None
