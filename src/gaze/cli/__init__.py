"""The `gaze` command line: one module per command group."""

from __future__ import annotations

import typer

from gaze.cli import admin, apikey, data, generate, jobs, library, server, tags

app = typer.Typer(help="GAZE: preset-driven image generation server.", no_args_is_help=True)
server.register(app)
data.register(app)
app.add_typer(apikey.app, name="apikey")
app.add_typer(admin.app, name="admin")
app.add_typer(library.app, name="library")
generate.register(app)
app.add_typer(jobs.app, name="jobs")
app.add_typer(tags.app, name="tags")
