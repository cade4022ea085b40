"""How `make test` spreads the suite over pytest-xdist workers: a test file stays in one worker
(its module-scoped servers start once), and every file that uses the machine's PostgreSQL or
Redis joins one group, since the scale-out fault tests restart those services."""

from __future__ import annotations

import functools
from pathlib import Path

from xdist.scheduler import LoadFileScheduling

SERVICES_GROUP = "postgresql-and-redis"
SERVICE_MARKERS = ("devkit.services", "tests.scale")
"""A test module that names one of these uses PostgreSQL or Redis."""


@functools.cache
def uses_services(module: Path) -> bool:
    return "scale" in module.parts or any(name in module.read_text() for name in SERVICE_MARKERS)


class ServiceAwareFileScheduling(LoadFileScheduling):
    """`--dist loadfile`, with the files that use PostgreSQL or Redis as one unit of work."""

    def _split_scope(self, nodeid: str) -> str:
        file = nodeid.split("::", 1)[0]
        module = Path(self.config.rootpath) / file
        return SERVICES_GROUP if module.is_file() and uses_services(module) else file
