"""`gaze migrate-data`: move an install's data to another database."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("migrate-data")(migrate_data)


def migrate_data(
    source: Annotated[str, typer.Option("--from", help="Source URL, e.g. sqlite:///data/gaze.db")],
    target: Annotated[
        str, typer.Option("--to", help="Target URL, e.g. postgresql+psycopg://user@host/gaze")
    ],
) -> None:
    """Copy the library, presets, jobs, gallery and settings to an empty database."""
    from gaze.db.connection import Database
    from gaze.db.copy_data import TargetNotEmpty, copy_database

    source_db, target_db = Database(source), Database(target)
    try:
        copy_database(
            source_db,
            target_db,
            report=lambda table: typer.echo(f"{table.name}: {table.rows} rows", err=True),
        )
    except TargetNotEmpty as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        source_db.dispose()
        target_db.dispose()
    typer.echo("Done. Point GAZE_DATABASE_URL at the new database.", err=True)
