"""Named API keys for tests: made straight in a server's database, as Settings and
`gaze apikey create` make them (the server sees a new key at its first use)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.security.named_keys import KeyLimits, create_named_key


def database_url_of(server: GazeServer) -> str:
    url = server.env.get("GAZE_DATABASE_URL")
    return url or f"sqlite:///{Path(server.data_dir) / 'gaze.db'}"


def make_key(
    server: GazeServer,
    name: str,
    scopes: Iterable[str],
    *,
    sfw_only: bool = False,
    daily_quota: int | None = None,
    rate_per_minute: int | None = None,
    high_priority: bool = False,
) -> tuple[str, str]:
    """A new key on `server`: (its id, its secret)."""
    database = Database(database_url_of(server))
    try:
        limits = KeyLimits(
            scopes=frozenset(scopes),
            sfw_only=sfw_only,
            daily_quota=daily_quota,
            rate_per_minute=rate_per_minute,
            high_priority=high_priority,
        )
        key, secret = create_named_key(database, name, limits)
    finally:
        database.dispose()
    return key.id, secret
