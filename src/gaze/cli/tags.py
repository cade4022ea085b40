"""`gaze tags import`: the tag vocabulary from an A1111 tag-autocomplete CSV."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from gaze.cli.library import open_database
from gaze.cli.options import DataDirOption, settings_for

app = typer.Typer(help="The tag vocabulary prompts are completed from.", no_args_is_help=True)

CsvArgument = Annotated[
    Path, typer.Argument(help="A tag-autocomplete CSV.", dir_okay=False, resolve_path=True)
]


@app.command("import")
def import_tags(file: CsvArgument, data_dir: DataDirOption = None) -> None:
    """Replace the vocabulary with the tags of FILE (``name,category,post_count,"aliases"``)
    plus every tag the library already uses.

    Bad lines are printed with their line numbers and skipped; the exit code is 1 when there
    was one, else 0.
    """
    from gaze.library.tag_import import import_tag_lines

    if not file.is_file():
        typer.echo(f"error: {file} is not a file", err=True)
        raise typer.Exit(2)
    started = time.perf_counter()
    database = open_database(settings_for(data_dir))
    try:
        with file.open(encoding="utf-8-sig", errors="replace", newline="") as lines:
            imported = import_tag_lines(database, lines)
    finally:
        database.dispose()
    for problem in imported.problems:
        typer.echo(f"error: {file}: {problem}", err=True)
    seconds = time.perf_counter() - started
    typer.echo(
        f"imported {imported.stored} tags ({imported.from_file} from the file) in {seconds:.1f} s"
    )
    if imported.problems:
        raise typer.Exit(1)
