"""The backends as people see them: a light each (up, busy or down) for the navbar, and for
the Settings page what each has loaded and how many models it offers."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, select

from gaze.db.connection import Database
from gaze.db.models import JobRow
from gaze.engines.model_lists import ModelLists
from gaze.engines.pool import BackendState
from gaze.jobs.context import JobContext
from gaze.jobs.status import PROCESSING


@dataclass(frozen=True)
class BackendLight:
    name: str
    state: str
    """up, busy or down."""
    detail: str

    @property
    def title(self) -> str:
        return f"{self.name}: {self.state}" + (f" — {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class BackendFacts:
    state: BackendState
    light: str
    checkpoints: int | None
    loras: int | None
    """None when the backend did not list its models (it is down)."""


def backend_light(state: BackendState, working: Collection[str] = ()) -> BackendLight:
    """up, busy or down; `working` names the backends running a job (for workers that run
    in other processes, whose leases this process does not see)."""
    if not state.up:
        label = "down"
    elif state.busy or state.name in working or (state.queue_remaining or 0) > 0:
        label = "busy"
    else:
        label = "up"
    return BackendLight(name=state.name, state=label, detail=state.detail)


def backends_running_jobs(database: Database) -> set[str]:
    """The backends the running jobs are on."""
    with database.engine.connect() as connection:
        names = connection.execute(
            select(distinct(JobRow.backend)).where(JobRow.status == PROCESSING)
        ).scalars()
        return {name for name in names if name}


def backend_lights(context: JobContext, *, jobs_running: bool) -> list[BackendLight]:
    """One light per backend; with `jobs_running` the database says which backends run them."""
    working = backends_running_jobs(context.database) if jobs_running else set()
    return [backend_light(state, working) for state in context.backends.snapshot()]


def backend_facts(
    states: Sequence[BackendState], lists: Mapping[str, ModelLists]
) -> list[BackendFacts]:
    """Each backend with its light and model counts; `lists` are the model lists by backend
    name, of the backends that listed them."""
    facts = []
    for state in states:
        found = lists.get(state.name)
        facts.append(
            BackendFacts(
                state=state,
                light=backend_light(state).state,
                checkpoints=len(found.checkpoints) if found else None,
                loras=len(found.loras) if found else None,
            )
        )
    return facts
