"""Ids of the tests' own, for tests that share a server."""

from __future__ import annotations

import uuid


def unique_id(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
