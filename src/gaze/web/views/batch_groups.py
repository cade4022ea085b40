"""Jobs grouped by the generate request (batch) that queued them, as the queue lists them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BatchGroup:
    """Jobs of one generate request, in the order the list shows them."""

    batch_id: str | None
    jobs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def short_id(self) -> str:
        return (self.batch_id or "")[:8]


def group_by_batch(jobs: Sequence[dict[str, Any]]) -> list[BatchGroup]:
    """Jobs grouped by batch, each group where its first job is; jobs without one stand alone."""
    groups: list[BatchGroup] = []
    by_batch: dict[str, BatchGroup] = {}
    for job in jobs:
        batch_id = job.get("batch_id")
        if batch_id is None:
            groups.append(BatchGroup(None, [job]))
            continue
        if batch_id not in by_batch:
            by_batch[batch_id] = BatchGroup(batch_id)
            groups.append(by_batch[batch_id])
        by_batch[batch_id].jobs.append(job)
    return groups
