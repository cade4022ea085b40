"""Scale-out fixtures: PostgreSQL and Redis of this machine, ComfyUI stand-ins, GAZE processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scale.cluster import Cluster, open_cluster


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """PostgreSQL + Redis + three ComfyUI stand-ins, data prepared; start APIs and workers."""
    with open_cluster(tmp_path) as running:
        yield running
