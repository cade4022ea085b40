"""Who is calling: the API key a request presented, with what that key may do.

Scopes: `read` (presets, jobs, images, events), `generate` (queue, cancel and retry its own
jobs), `library` (write the library and presets), `admin` (keys, settings, every job).
`admin` implies every scope; `generate` and `library` imply `read`.
"""

from __future__ import annotations

from dataclasses import dataclass

READ = "read"
GENERATE = "generate"
LIBRARY = "library"
ADMIN = "admin"
SCOPES = (READ, GENERATE, LIBRARY, ADMIN)

DEFAULT_KEY_ID = "default"
"""The guide's key (Settings -> REST API Key): it can do everything."""


@dataclass(frozen=True)
class Principal:
    key_id: str | None
    """The key's id; `default` for the guide's key, None for the web UI's login session."""
    name: str
    scopes: frozenset[str]
    sfw_only: bool = False
    daily_quota: int | None = None
    rate_per_minute: int | None = None
    high_priority: bool = False

    def allows(self, scope: str) -> bool:
        if ADMIN in self.scopes or scope in self.scopes:
            return True
        return scope == READ and bool(self.scopes & {GENERATE, LIBRARY})

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.scopes

    def may_see_job_of(self, owner_key_id: str | None) -> bool:
        """Admins see every job; any other key only the jobs it made."""
        return self.is_admin or (self.key_id is not None and owner_key_id == self.key_id)


DEFAULT_PRINCIPAL = Principal(
    key_id=DEFAULT_KEY_ID, name="Default key", scopes=frozenset({ADMIN}), high_priority=True
)
WEB_UI_PRINCIPAL = Principal(
    key_id=None, name="Web UI", scopes=frozenset({ADMIN}), high_priority=True
)


def ordered_scopes(scopes: frozenset[str] | set[str]) -> list[str]:
    return [scope for scope in SCOPES if scope in scopes]
