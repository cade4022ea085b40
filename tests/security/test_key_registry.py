"""The in-memory key registry on a real SQLite file, with a second connection standing in
for another process (the CLI, another API process)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.security.api_keys import regenerate_api_key
from gaze.security.key_registry import KeyRegistry
from gaze.security.named_keys import (
    KeyLimits,
    KeyProblem,
    create_named_key,
    get_named_key,
    revoke_named_key,
    update_named_key,
)
from gaze.security.principal import DEFAULT_PRINCIPAL


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """The registry's database and another handle on the same file ("another process")."""
    url = f"sqlite:///{tmp_path / 'gaze.db'}"
    ours, theirs = Database(url), Database(url)
    upgrade_to_head(ours.engine)
    yield ours, theirs
    ours.dispose()
    theirs.dispose()


def test_a_key_made_elsewhere_works_on_its_first_use(
    databases: tuple[Database, Database],
) -> None:
    ours, theirs = databases
    registry = KeyRegistry(ours, refresh_seconds=60)
    registry.refresh()
    key, secret = create_named_key(theirs, "kitchen", KeyLimits(scopes=frozenset({"read"})))
    assert registry.lookup(secret) is None, "not reloaded yet"
    time.sleep(0.06)
    assert registry.may_refresh_on_miss()
    registry.refresh()
    principal = registry.lookup(secret)
    assert principal is not None and principal.key_id == key.id
    assert principal.scopes == frozenset({"read"}) and principal.name == "kitchen"


def test_revocation_elsewhere_is_seen_at_the_next_refresh(
    databases: tuple[Database, Database],
) -> None:
    ours, theirs = databases
    key, secret = create_named_key(ours, "bot", KeyLimits(scopes=frozenset({"generate"})))
    registry = KeyRegistry(ours, refresh_seconds=0.2)
    registry.refresh()
    assert registry.lookup(secret) is not None
    assert revoke_named_key(theirs, key.id)
    registry.refresh(interval=registry.refresh_seconds)
    assert registry.lookup(secret) is not None, "checked within the interval: not re-read"
    time.sleep(0.25)
    assert registry.needs_refresh()
    registry.refresh(interval=registry.refresh_seconds)
    assert registry.lookup(secret) is None
    revoked = get_named_key(ours, key.id)
    assert revoked is not None and revoked.revoked_at is not None


def test_scope_changes_and_the_default_key_reload(databases: tuple[Database, Database]) -> None:
    ours, theirs = databases
    default = regenerate_api_key(ours)
    key, secret = create_named_key(ours, "bot", KeyLimits(scopes=frozenset({"read"})))
    registry = KeyRegistry(ours)
    registry.refresh()
    assert registry.lookup(default) == DEFAULT_PRINCIPAL
    update_named_key(theirs, key.id, {"scopes": ["generate", "read"], "sfw_only": True})
    new_default = regenerate_api_key(theirs)
    registry.invalidate()
    registry.refresh()
    principal = registry.lookup(secret)
    assert principal is not None and principal.scopes == frozenset({"read", "generate"})
    assert principal.sfw_only
    assert registry.lookup(default) is None
    assert registry.lookup(new_default) == DEFAULT_PRINCIPAL


def test_use_is_counted_in_memory_and_written_back(databases: tuple[Database, Database]) -> None:
    ours, _ = databases
    key, secret = create_named_key(ours, "dashboard", KeyLimits(scopes=frozenset({"read"})))
    registry = KeyRegistry(ours)
    registry.refresh()
    for _ in range(5):
        assert registry.lookup(secret) is not None
    stored = get_named_key(ours, key.id)
    assert stored is not None and stored.request_count == 0 and stored.last_used_at is None
    registry.flush_uses()
    stored = get_named_key(ours, key.id)
    assert stored is not None and stored.request_count == 5 and stored.last_used_at is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scopes": ["root"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"name": "  "}, "name"),
        ({"daily_quota": 0}, "daily_quota"),
        ({"rate_per_minute": "ten"}, "rate_per_minute"),
        ({"sfw_only": "yes"}, "sfw_only"),
        ({"owner": "me"}, "owner"),
    ],
)
def test_bad_key_fields_are_refused_naming_the_field(
    databases: tuple[Database, Database], changes: dict[str, object], field: str
) -> None:
    ours, _ = databases
    key, _ = create_named_key(ours, "bot", KeyLimits(scopes=frozenset({"read"})))
    with pytest.raises(KeyProblem, match=f"^{field}:"):
        update_named_key(ours, key.id, changes)
