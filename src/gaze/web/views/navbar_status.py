"""The navbar's live facts: one light per backend and the number of active jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gaze.jobs.backend_status import BackendLight, backend_lights
from gaze.jobs.service import queue_overview
from gaze.runtime import Runtime


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


def navbar_status(runtime: Runtime) -> NavbarStatus:
    overview = queue_overview(runtime)
    return NavbarStatus(
        backends=backend_lights(runtime, jobs_running=bool(overview.processing)),
        pending=overview.pending,
        running=overview.processing,
    )
