"""The queue page offers Retry only on failed jobs that can be retried: a failed image
generation has it, a failed LLM draft (which the server refuses to retry) has not."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.db.models import JobRow, utcnow
from gaze.jobs.kinds import DRAFT, GENERATE


def add_failed_job(server: GazeServer, kind: str, label: str) -> str:
    """A failed job of `kind` written into the server's database, as its worker leaves one."""
    job_id = str(uuid.uuid4())
    now = utcnow()
    database = Database(f"sqlite:///{server.data_dir / 'gaze.db'}")
    try:
        with database.session() as session:
            session.add(
                JobRow(
                    id=job_id,
                    label=label,
                    status="failed",
                    error=f"The {kind} failed.",
                    kind=kind,
                    spec={"category": "scenes", "description": "a pier"} if kind == DRAFT else {},
                    output_folder="",
                    attempts=1,
                    created_at=now,
                    started_at=now,
                    finished_at=now,
                )
            )
    finally:
        database.dispose()
    return job_id


def test_a_failed_draft_job_has_no_retry_button(page: Page, ui_server: GazeServer) -> None:
    draft = add_failed_job(ui_server, DRAFT, "Draft a scene")
    generation = add_failed_job(ui_server, GENERATE, "A failed generation")
    refused = httpx.post(
        f"{ui_server.url}/api/v1/job/{draft}/retry", headers=ui_server.headers, timeout=30
    )
    assert refused.status_code == 409 and refused.json()["code"] == "job_not_retryable"

    page.goto("/queue")
    draft_row = page.locator(f'[data-job="{draft}"]')
    expect(draft_row).to_contain_text("The draft failed.")
    expect(draft_row.get_by_role("button")).to_have_count(0)
    generation_row = page.locator(f'[data-job="{generation}"]')
    expect(generation_row.get_by_role("button", name="Retry")).to_have_count(1)
