"""Scale-out fixtures: PostgreSQL and Redis of this machine, ComfyUI stand-ins, GAZE processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.cluster import Cluster, open_cluster
from gaze.examples import DEMO_CHECKPOINT
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory


@pytest.fixture
def cluster(tmp_path: Path, standin_factory: StandInFactory) -> Iterator[Cluster[ComfyUIStandIn]]:
    """PostgreSQL + Redis + three ComfyUI stand-ins, data prepared; start APIs and workers."""
    standins = [
        standin_factory(models={"checkpoints": [DEMO_CHECKPOINT]}, step_delay=0.01)
        for _ in range(3)
    ]
    with open_cluster(tmp_path, standins) as running:
        yield running
