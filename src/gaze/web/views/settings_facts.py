"""What the Settings page shows besides the API key: backends, defaults, paths."""

from __future__ import annotations

from dataclasses import dataclass

from gaze.engines.model_lists import model_lists
from gaze.engines.pool import BackendState
from gaze.library.fields import DEFAULT_SIZE
from gaze.presets.schema import ORIENTATION_SIZES
from gaze.runtime import Runtime
from gaze.web.views.navbar_status import backend_light


@dataclass(frozen=True)
class BackendFacts:
    state: BackendState
    light: str
    checkpoints: int | None
    loras: int | None


@dataclass(frozen=True)
class SettingsFacts:
    backends: list[BackendFacts]
    default_checkpoint: str | None
    default_sizes: dict[str, tuple[int, int]]
    orientation_sizes: dict[str, dict[str, tuple[int, int]]]
    worker_count: int


def settings_facts(runtime: Runtime) -> SettingsFacts:
    engines = {engine.name: engine for engine in runtime.engines}
    backends = []
    checkpoints: set[str] = set()
    for state in runtime.backends.snapshot():
        engine = engines.get(state.name)
        lists = model_lists(engine) if engine is not None and state.up else None
        if lists is not None:
            checkpoints |= lists.checkpoints
        backends.append(
            BackendFacts(
                state=state,
                light=backend_light(state).state,
                checkpoints=len(lists.checkpoints) if lists else None,
                loras=len(lists.loras) if lists else None,
            )
        )
    return SettingsFacts(
        backends=backends,
        default_checkpoint=min(checkpoints) if checkpoints else None,
        default_sizes=dict(DEFAULT_SIZE),
        orientation_sizes=ORIENTATION_SIZES,
        worker_count=runtime.settings.worker_count,
    )
