"""The `gaze` command line: one module per command group."""

from __future__ import annotations

import typer

from gaze.cli import admin, apikey, data, generate, jobs, library, server, tags
from gaze.extras import MissingExtra

app = typer.Typer(help="GAZE: preset-driven image generation server.", no_args_is_help=True)
server.register(app)
data.register(app)
app.add_typer(apikey.app, name="apikey")
app.add_typer(admin.app, name="admin")
app.add_typer(library.app, name="library")
generate.register(app)
app.add_typer(jobs.app, name="jobs")
app.add_typer(tags.app, name="tags")


def main() -> None:
    """The `gaze` command: a setting that needs a missing extra ends with the install
    command to run, not a traceback."""
    try:
        app()
    except MissingExtra as missing:
        typer.echo(str(missing), err=True)
        raise SystemExit(2) from None
