"""`gaze migrate-data` moves an embedded install to PostgreSQL, and GAZE runs on the result."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text

from devkit.server import GazeServer, run_gaze
from devkit.services import scratch_postgres_database

TABLES = ("settings", "presets", "resources", "checkpoints", "jobs", "images")


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in TABLES
        }
    engine.dispose()
    return counts


def test_migrate_data_copies_everything_and_refuses_a_full_target(fresh_data: Path) -> None:
    server = GazeServer(fresh_data).start()
    key = server.regenerate_key()
    try:
        job_id = server.post(
            "/api/v1/generate/example_01", json={"width": 64, "height": 64}
        ).json()["jobs"][0]["job_id"]
        assert server.wait_for_job(job_id)["status"] == "done"
    finally:
        server.stop()
    source = f"sqlite:///{fresh_data / 'gaze.db'}"
    before = _counts(source)
    assert before["jobs"] >= 1 and before["images"] >= 1 and before["presets"] >= 4

    with scratch_postgres_database() as target:
        run_gaze(fresh_data, "migrate-data", "--from", source, "--to", target)
        assert _counts(target) == before

        try:
            run_gaze(fresh_data, "migrate-data", "--from", source, "--to", target)
            raise AssertionError("a second migrate-data into a full database must fail")
        except subprocess.CalledProcessError as error:
            assert "already has rows" in error.stderr

        on_postgres = GazeServer(fresh_data, env={"GAZE_DATABASE_URL": target}).start()
        on_postgres.api_key = key
        try:
            presets = on_postgres.get("/api/v1/presets").json()["presets"]
            assert any(preset["slug"] == "example_01" for preset in presets)
            assert on_postgres.get(f"/api/v1/job/{job_id}").json()["status"] == "done"
            new_job = on_postgres.post(
                "/api/v1/generate/example_01", json={"width": 64, "height": 64}
            ).json()["jobs"][0]["job_id"]
            assert on_postgres.wait_for_job(new_job)["status"] == "done"
        finally:
            on_postgres.stop()
