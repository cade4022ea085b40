"""`gaze admin`: the web UI's admin password."""

from __future__ import annotations

from typing import Annotated

import typer

from gaze.cli.options import DataDirOption, settings_for

app = typer.Typer(help="Manage the web UI's admin password.", no_args_is_help=True)


@app.command("set-password")
def set_password(
    data_dir: DataDirOption = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="GAZE_NEW_ADMIN_PASSWORD",
            help="The new password (default: asked for, twice, without echo).",
        ),
    ] = None,
) -> None:
    """Set the admin password the web UI asks for when GAZE binds beyond loopback.

    Stored as a salted scrypt hash; every open login session ends. GAZE_ADMIN_PASSWORD, when
    set, takes precedence over the stored password.
    """
    from gaze.runtime import open_runtime
    from gaze.security.admin_auth import PasswordTooShort, set_admin_password

    if password is None:
        password = typer.prompt("New admin password", hide_input=True, confirmation_prompt=True)
    runtime = open_runtime(settings_for(data_dir))
    try:
        set_admin_password(runtime.database, password)
    except PasswordTooShort as error:
        typer.echo(f"Not changed: {error}.", err=True)
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    typer.echo("Admin password set.", err=True)
