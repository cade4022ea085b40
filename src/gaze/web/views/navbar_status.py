"""The navbar's live facts: one light per backend and the number of active jobs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, select

from gaze.db.models import JobRow
from gaze.engines.pool import BackendState
from gaze.jobs.service import queue_overview
from gaze.jobs.status import PROCESSING
from gaze.runtime import Runtime


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
class NavbarStatus:
    backends: list[BackendLight]
    pending: int
    running: int

    @property
    def active(self) -> int:
        return self.pending + self.running

    def to_json(self) -> dict[str, Any]:
        return {
            "backends": [
                {"name": light.name, "state": light.state, "title": light.title}
                for light in self.backends
            ],
            "pending": self.pending,
            "running": self.running,
        }


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


def working_backends(runtime: Runtime) -> set[str]:
    """The backends the running jobs are on."""
    with runtime.database.engine.connect() as connection:
        names = connection.execute(
            select(distinct(JobRow.backend)).where(JobRow.status == PROCESSING)
        ).scalars()
        return {name for name in names if name}


def navbar_status(runtime: Runtime) -> NavbarStatus:
    overview = queue_overview(runtime)
    working = working_backends(runtime) if overview.processing else set()
    return NavbarStatus(
        backends=[backend_light(state, working) for state in runtime.backends.snapshot()],
        pending=overview.pending,
        running=overview.processing,
    )
