"""`gaze library import` and `gaze library export`: the library as a folder of JSON files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gaze.cli.options import DataDirOption, settings_for
from gaze.settings import Settings

if TYPE_CHECKING:
    from gaze.db.connection import Database

app = typer.Typer(
    help="Import and export the library (resources, checkpoint settings, presets) as a folder "
    "of JSON files: characters/, looks/, outfits/ (or clothing/), actions/, styles/, scenes/, "
    "detailers/, wordlists/, checkpoints/ and presets/, one <id>.json per item.",
    no_args_is_help=True,
)


def open_database(settings: Settings) -> Database:
    """The settings' database, migrated to the current schema."""
    from gaze.db.connection import Database
    from gaze.db.migrate import upgrade_to_head

    database = Database(settings.resolved_database_url)
    upgrade_to_head(database.engine)
    return database


FolderArgument = Annotated[
    Path, typer.Argument(help="The library folder.", file_okay=False, resolve_path=True)
]


@app.command("import")
def import_folder(folder: FolderArgument, data_dir: DataDirOption = None) -> None:
    """Import every valid file of FOLDER, replacing stored items with the same id.

    Every file that is not imported is printed with its path and the reason; the exit code
    is 1 when there was one, else 0. References to items missing from both the folder and
    the library are printed as warnings.
    """
    from gaze.folders.transfer import import_library_folder

    if not folder.is_dir():
        typer.echo(f"error: {folder} is not a folder", err=True)
        raise typer.Exit(2)
    settings = settings_for(data_dir)
    database = open_database(settings)
    try:
        outcome = import_library_folder(database, folder, settings.checkpoints_dir)
    finally:
        database.dispose()
    for problem in outcome.errors:
        typer.echo(f"error: {folder / problem.path}: {problem.reason}", err=True)
    for problem in outcome.warnings:
        typer.echo(f"warning: {folder / problem.path}: {problem.reason}", err=True)
    typer.echo(
        f"Imported {outcome.resources} resources, {outcome.wordlists} wordlists, "
        f"{outcome.checkpoints} checkpoint settings and {outcome.presets} presets from {folder}"
        + (f"; {len(outcome.errors)} files were not imported." if outcome.errors else ".")
    )
    if not outcome.ok:
        raise typer.Exit(1)


@app.command("export")
def export_folder(
    folder: FolderArgument,
    data_dir: DataDirOption = None,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Delete other .json files in the folder's kind folders (for git)."
        ),
    ] = False,
) -> None:
    """Write the whole library to FOLDER (created if needed), in the layout `import` reads."""
    from gaze.folders.transfer import export_library_folder

    database = open_database(settings_for(data_dir))
    try:
        outcome = export_library_folder(database, folder, prune=prune)
    except (OSError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    for problem in outcome.skipped:
        typer.echo(f"skipped: {problem}", err=True)
    typer.echo(
        f"Exported {outcome.resources} resources, {outcome.wordlists} wordlists, "
        f"{outcome.checkpoints} checkpoint settings and {outcome.presets} presets to {folder}."
    )
    if outcome.skipped:
        raise typer.Exit(1)
