"""`gaze apikey`: the REST API key."""

from __future__ import annotations

import typer

from gaze.cli.options import DataDirOption, settings_for

app = typer.Typer(help="Manage the REST API key.", no_args_is_help=True)


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
