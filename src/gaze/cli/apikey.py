"""`gaze apikey`: the REST API key (`regenerate`) and named keys (`create`, `list`, `revoke`).

These work on the data folder's database, so a running server sees a change within half a
second."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gaze.cli.options import DataDirOption, settings_for

if TYPE_CHECKING:
    from gaze.db.connection import Database

app = typer.Typer(help="Manage the REST API key and named API keys.", no_args_is_help=True)

SCOPE_NAMES = ("read", "generate", "library", "admin")
"""As gaze.security.principal.SCOPES (kept here so `--help` needs no import of the server)."""


@contextmanager
def _database(data_dir: DataDirOption) -> Iterator[Database]:
    """The data folder's database, migrated (without the whole runtime: quicker to start)."""
    from gaze.db.connection import Database
    from gaze.db.migrate import upgrade_to_head

    database = Database(settings_for(data_dir).resolved_database_url)
    try:
        upgrade_to_head(database.engine)
        yield database
    finally:
        database.dispose()


@app.command("regenerate")
def regenerate(data_dir: DataDirOption = None) -> None:
    """Create a new API key, replacing the old one at once; prints only the key."""
    from gaze.runtime import open_runtime
    from gaze.security.api_keys import regenerate_api_key

    runtime = open_runtime(settings_for(data_dir))
    try:
        typer.echo(regenerate_api_key(runtime.database))
    finally:
        runtime.close()


def per_period(value: str | None, option: str, unit: str) -> int | None:
    """`100/day` (or `100`) as 100; anything else is a usage error naming the option."""
    if value is None:
        return None
    matched = re.fullmatch(rf"\s*(\d+)\s*(?:/\s*{unit})?\s*", value, flags=re.IGNORECASE)
    number = int(matched.group(1)) if matched else 0
    if not 1 <= number <= 10_000_000:
        raise typer.BadParameter(
            f"{value!r}: give a whole number from 1 to 10000000 per {unit}, like 100/{unit}.",
            param_hint=option,
        )
    return number


def checked_scope_names(values: list[str]) -> set[str]:
    """The scopes of `--scope read --scope generate` (or `--scope read,generate`)."""
    names = {name.strip().lower() for value in values for name in value.split(",")}
    names.discard("")
    unknown = sorted(names - set(SCOPE_NAMES))
    if unknown or not names:
        what = f"unknown scope {unknown[0]!r}" if unknown else "give at least one scope"
        raise typer.BadParameter(f"{what}; use {', '.join(SCOPE_NAMES)}.", param_hint="--scope")
    return names


@app.command("create")
def create(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="What the key is for, e.g. 'Kitchen display'.")
    ],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            help="read, generate, library or admin; repeat for several. generate and library "
            "imply read, admin implies all.",
        ),
    ],
    sfw_only: Annotated[
        bool, typer.Option("--sfw-only", help="Never pick, show or accept NSFW items.")
    ] = False,
    quota: Annotated[
        str | None, typer.Option("--quota", help="Images per day, e.g. 100/day.")
    ] = None,
    rate: Annotated[
        str | None, typer.Option("--rate", help="Requests per minute, e.g. 10/min.")
    ] = None,
    high_priority: Annotated[
        bool, typer.Option("--high-priority", help='May ask for "priority": "high".')
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Make a named API key; prints only the key (shown this once, stored as a hash)."""
    scopes = checked_scope_names(scope)
    daily_quota = per_period(quota, "--quota", "day")
    rate_per_minute = per_period(rate, "--rate", "min")
    from gaze.security.named_keys import KeyLimits, KeyProblem, create_named_key

    limits = KeyLimits(
        scopes=frozenset(scopes),
        sfw_only=sfw_only,
        daily_quota=daily_quota,
        rate_per_minute=rate_per_minute,
        high_priority=high_priority,
    )
    with _database(data_dir) as database:
        try:
            _, secret = create_named_key(database, name, limits)
        except KeyProblem as problem:
            typer.echo(f"Error: {problem}", err=True)
            raise typer.Exit(2) from None
    typer.echo(secret)


def _when(value: str | None) -> str:
    if not value:
        return "never"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


def _flags(entry: dict[str, Any]) -> str:
    flags = ["sfw"] if entry["sfw_only"] else []
    if entry["daily_quota"]:
        flags.append(f"{entry['daily_quota']}/day")
    if entry["rate_per_minute"]:
        flags.append(f"{entry['rate_per_minute']}/min")
    if entry["high_priority"]:
        flags.append("high-priority")
    return " ".join(flags) or "-"


@app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Every API key: the default key, then named keys with their last use and counts."""
    from rich.console import Console
    from rich.table import Table

    from gaze.security.key_overview import key_entries

    with _database(data_dir) as database:
        entries = key_entries(database)
    if as_json:
        typer.echo(json.dumps({"keys": entries}, indent=2))
        return
    table = Table(box=None, header_style="bold")
    for column in ("id", "name", "scopes", "flags", "last used", "requests", "jobs", "revoked"):
        table.add_column(column, no_wrap=column in ("id", "last used"))
    for entry in entries:
        requests = entry["request_count"]
        table.add_row(
            entry["id"],
            entry["name"],
            ",".join(entry["scopes"]),
            _flags(entry),
            "-" if entry["read_only"] else _when(entry["last_used_at"]),
            "-" if requests is None else str(requests),
            str(entry["job_count"]),
            _when(entry["revoked_at"]) if entry["revoked"] else "no",
        )
    Console(width=200).print(table)


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id (gaze apikey list).")],
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a named key at once (running servers refuse it within half a second)."""
    from gaze.security.named_keys import get_named_key, revoke_named_key
    from gaze.security.principal import DEFAULT_KEY_ID

    if key_id == DEFAULT_KEY_ID:
        typer.echo(
            "Error: the default key is replaced with `gaze apikey regenerate`, not revoked.",
            err=True,
        )
        raise typer.Exit(2)
    with _database(data_dir) as database:
        if not revoke_named_key(database, key_id):
            typer.echo(f"Error: no API key with id {key_id!r} (see gaze apikey list).", err=True)
            raise typer.Exit(1)
        key = get_named_key(database, key_id)
    typer.echo(f"Revoked {key_id} ({key.name if key else '?'}).")
