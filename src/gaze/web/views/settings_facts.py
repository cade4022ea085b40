"""What the Settings page shows besides the API key: backends, defaults, paths."""

from __future__ import annotations

from dataclasses import dataclass

from gaze.jobs.backend_status import BackendFacts, backend_facts
from gaze.library.checkpoint_catalogue import available_checkpoints
from gaze.library.fields import DEFAULT_SIZE
from gaze.presets.schema import ORIENTATION_SIZES
from gaze.runtime import Runtime


@dataclass(frozen=True)
class SettingsFacts:
    backends: list[BackendFacts]
    default_checkpoint: str | None
    default_sizes: dict[str, tuple[int, int]]
    orientation_sizes: dict[str, dict[str, tuple[int, int]]]
    worker_count: int


def settings_facts(runtime: Runtime) -> SettingsFacts:
    states = runtime.backend_states()
    found = runtime.backend_models([state.name for state in states if state.up])
    checkpoints = available_checkpoints(found)
    return SettingsFacts(
        backends=backend_facts(states, {backend.backend: backend.lists for backend in found}),
        default_checkpoint=min(checkpoints) if checkpoints else None,
        default_sizes=dict(DEFAULT_SIZE),
        orientation_sizes=ORIENTATION_SIZES,
        worker_count=runtime.settings.worker_count,
    )
