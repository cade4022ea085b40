"""The `gaze` command line: one module per command group."""

from __future__ import annotations

import typer

from gaze.cli import apikey, data, server

app = typer.Typer(help="GAZE: preset-driven image generation server.", no_args_is_help=True)
server.register(app)
data.register(app)
app.add_typer(apikey.app, name="apikey")
