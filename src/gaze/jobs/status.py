"""Job statuses as the API reports them."""

from __future__ import annotations

PENDING = "pending"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"

TERMINAL = frozenset({DONE, FAILED, CANCELLED})
ACTIVE = frozenset({PENDING, PROCESSING})
