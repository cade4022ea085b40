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


def test_recent_lists_the_newest_first_and_a_resource_s_sweeps(database: Database) -> None:
    upgrade_to_head(database.engine)
    store = GridStore(database)
    cells: list[dict[str, object]] = []
    store.create("plain", "b1", {"preset": "p", "seed": 1}, {}, cells)
    store.create("sweep1", "b2", {"seed": 2}, {}, cells, sweep=("styles", "ink"))
    store.create("other", "b3", {"seed": 3}, {}, cells, sweep=("styles", "pencil"))
    store.create("sweep2", "b4", {"seed": 4}, {}, cells, sweep=("styles", "ink"))
    assert [row.id for row in store.recent(10)] == ["sweep2", "other", "sweep1", "plain"]
    assert [row.id for row in store.recent(2)] == ["sweep2", "other"]
    ink = store.recent(10, sweep=("styles", "ink"))
    assert [row.id for row in ink] == ["sweep2", "sweep1"]
    assert (ink[0].sweep_category, ink[0].sweep_resource_id) == ("styles", "ink")
    assert store.recent(10, sweep=("looks", "ink")) == []
