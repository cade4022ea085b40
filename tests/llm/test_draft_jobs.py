"""Draft jobs in the job store on SQLite and PostgreSQL: migration 0005 gives old jobs the
`generate` kind, a draft job runs to `done` with its checked result and no gallery image, is
left out of the duration statistics, and fails with the model's problems when invalid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import alembic_config, upgrade_to_head
from gaze.db.models import ImageRow
from gaze.engines.base import CancelToken
from gaze.jobs.eta import read_duration_stats
from gaze.jobs.kinds import DRAFT
from gaze.jobs.store import JobStore, NewJob
from gaze.llm.draft_runner import DraftRunner
from gaze.llm.drafting import DraftTask
from gaze.llm.server_modes import ServerModes
from gaze.settings import Settings
from tests.llm_standin.server import LlmStandIn

WORKER = "test-host:1:draft"
DRAFT_ANSWER = {
    "id": "moonlit_pier",
    "name": "Moonlit Pier",
    "description": "A quiet pier at night.",
    "fields": {"place": {"main": "pier, night, moon"}},
    "default_fields": ["place::main"],
    "tags": {},
}


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('drafts') / 'gaze.db'}"
    else:
        with scratch_postgres_database() as url:
            yield url


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[Database]:
    opened = Database(database_url)
    command.upgrade(alembic_config(opened.engine), "0004")
    with opened.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO jobs (id, label, status, spec, resolution, output_folder, progress, "
                "attempts, cancel_requested, created_at) VALUES ('old-job', 'Old', 'done', "
                "'{}', '{}', 'x', 1.0, 1, false, CURRENT_TIMESTAMP)"
            )
        )
    upgrade_to_head(opened.engine)
    yield opened
    opened.dispose()


def run_draft(database: Database, llm: LlmStandIn, task: DraftTask) -> str:
    store = JobStore(database)
    (job,) = store.create([NewJob(task.label, task.to_payload(), "", kind=DRAFT)])
    claimed = store.claim(job.id, WORKER)
    assert claimed is not None and claimed.kind == DRAFT
    settings = Settings(llm_url=llm.url, llm_model=llm.script.model, data_dir=Path("/nonexistent"))
    DraftRunner(store, database, settings, modes=ServerModes())(claimed, CancelToken(), WORKER)
    return job.id


def test_old_jobs_are_image_generations(database: Database) -> None:
    with database.engine.connect() as connection:
        kind = connection.execute(text("SELECT kind FROM jobs WHERE id = 'old-job'")).scalar()
    assert kind == "generate"


def test_a_draft_job_finishes_with_its_result_and_no_image(
    database: Database, llm_standin: LlmStandIn
) -> None:
    llm_standin.script.answers.append(json.dumps(DRAFT_ANSWER))

    job_id = run_draft(database, llm_standin, DraftTask("draft", "scenes", description="a pier"))

    job = JobStore(database).get(job_id)
    assert job is not None and job.status == "done", job and job.error
    assert job.result is not None and job.result["draft"]["id"] == "moonlit_pier"
    assert job.backend == "llm:standin-model" and job.progress == 1.0
    assert job.spec["description"] == "a pier" and job.checkpoint is None
    with database.session() as session:
        images = session.scalar(
            select(func.count()).select_from(ImageRow).where(ImageRow.job_id == job_id)
        )
    assert images == 0
    assert read_duration_stats(database).overall is None


def test_an_invalid_draft_fails_naming_its_problems(
    database: Database, llm_standin: LlmStandIn
) -> None:
    llm_standin.script.default_answer = json.dumps({**DRAFT_ANSWER, "fields": "pier"})

    job_id = run_draft(database, llm_standin, DraftTask("draft", "scenes", description="a pier"))

    job = JobStore(database).get(job_id)
    assert job is not None and job.status == "failed" and job.result is None
    assert job.error is not None and "fields: Input should be a valid dictionary" in job.error
