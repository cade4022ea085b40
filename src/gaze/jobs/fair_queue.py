"""The order pending jobs run in: high priority first, then round-robin between API keys.

Each job gets a turn (`queue_turn`) when it is created, in the transaction that inserts it
(while new jobs are serialized, gaze.jobs.queue_bound). A key's first pending job takes the
smallest turn still pending (the queue's head); each further job of that key takes the turn
after the key's last pending one. So when key A has queued ten jobs (turns t..t+9) and key B
then queues two, B's take turns near the head (t+1, t+2 once A's first is running) and the
two keys alternate instead of B waiting behind A's whole burst. Jobs of one turn run in the
order they were queued.

Workers do not run the job a queue message names: each message is a "run the next job"
token, and the worker claims the first pending job in this order (`claim_next_statement`), so
the order holds whatever the queue carries; a token that finds nothing pending does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Update, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from gaze.db.models import JobRow, utcnow
from gaze.jobs.status import PENDING, PROCESSING

PENDING_ORDER = (JobRow.priority.desc(), JobRow.queue_turn, JobRow.queued_at, JobRow.id)
"""Pending jobs in the order workers take them (queue positions and ETAs use it too)."""

HIGH, NORMAL = 1, 0
PRIORITIES = {"normal": NORMAL, "high": HIGH}


def _same_key(key_id: str | None) -> Any:
    return JobRow.api_key_id.is_(None) if key_id is None else JobRow.api_key_id == key_id


def first_turn(session: Session, key_id: str | None, new_ids: Sequence[str]) -> int:
    """The turn of the next job of `key_id`, not counting the rows `new_ids` (just inserted).

    The queue's head (the smallest pending turn; with nothing pending, the newest job's turn)
    for a key with nothing pending; else the turn after the key's last pending job, if that
    is later than the head."""
    waiting = and_(JobRow.status == PENDING, JobRow.id.not_in(list(new_ids)))
    head, last_of_key = session.execute(
        select(
            func.min(JobRow.queue_turn),
            func.max(JobRow.queue_turn).filter(_same_key(key_id)),
        ).where(waiting)
    ).one()
    if head is None:
        newest = session.scalar(
            select(JobRow.queue_turn)
            .where(JobRow.id.not_in(list(new_ids)))
            .order_by(JobRow.created_at.desc())
            .limit(1)
        )
        return int(newest or 0)
    if last_of_key is None:
        return int(head)
    return max(int(head), int(last_of_key) + 1)


def assign_turns(session: Session, rows: Sequence[JobRow]) -> None:
    """Give the just-inserted `rows` (all of one key) consecutive turns from `first_turn`.
    Call it after their INSERT, in the same transaction, so concurrent requests take turns
    one after another."""
    if not rows:
        return
    first = first_turn(session, rows[0].api_key_id, [row.id for row in rows])
    for index, row in enumerate(rows):
        row.queue_turn = first + index


def next_pending_id(dialect: str) -> Select[str]:
    """The first pending job in the fair order; on PostgreSQL its row is locked, skipping
    rows other workers are claiming, so concurrent claims take different jobs."""
    query = select(JobRow.id).where(JobRow.status == PENDING).order_by(*PENDING_ORDER).limit(1)
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def ahead_of_or_same(job: JobRow) -> Any:
    """Pending jobs that run before `job` in the fair order, and `job` itself."""
    priority, turn = job.priority or NORMAL, job.queue_turn or 0
    return or_(
        JobRow.priority > priority,
        and_(JobRow.priority == priority, JobRow.queue_turn < turn),
        and_(
            JobRow.priority == priority,
            JobRow.queue_turn == turn,
            or_(
                JobRow.queued_at < job.queued_at,
                and_(JobRow.queued_at == job.queued_at, JobRow.id <= job.id),
            ),
        ),
    )


def claim_update(which: Any, worker_id: str) -> Update:
    """The UPDATE that moves the pending job `which` selects to processing for a worker."""
    now = utcnow()
    return (
        update(JobRow)
        .where(and_(which, JobRow.status == PENDING))
        .values(
            status=PROCESSING,
            worker_id=worker_id,
            started_at=now,
            heartbeat_at=now,
            progress=0.0,
            backend=None,
            attempts=JobRow.attempts + 1,
        )
        .returning(JobRow.id)
    )
