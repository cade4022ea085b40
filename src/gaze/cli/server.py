"""`gaze init`, `gaze serve`, `gaze worker`: running GAZE."""

from __future__ import annotations

from typing import Annotated

import typer

from gaze.cli.options import DataDirOption, settings_for
from gaze.logging_setup import configure_logging


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(serve)
    app.command()(worker)


def init(data_dir: DataDirOption = None) -> None:
    """Prepare the data folder: database, models folders, demo checkpoint, example library."""
    from gaze.setup.prepare import prepare_data_folder

    settings = settings_for(data_dir)
    configure_logging(settings.log_level, log_polls=settings.log_polls)
    for line in prepare_data_folder(settings):
        typer.echo(line, err=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 5782).")] = None,
    data_dir: DataDirOption = None,
    no_worker: Annotated[
        bool,
        typer.Option("--no-worker", help="Serve the API and UI only; run `gaze worker` apart."),
    ] = False,
) -> None:
    """Serve the web UI and REST API (and run a worker in-process unless --no-worker)."""
    import uvicorn

    from gaze.app import create_app
    from gaze.http_protocol import guarded_protocol
    from gaze.runtime import open_runtime
    from gaze.security.admin_auth import refuse_exposed_without_password
    from gaze.security.allowed_hosts import AllowedHosts
    from gaze.security.client_address import trusted_proxies
    from gaze.setup.prepare import prepare_data_folder

    settings = settings_for(data_dir, host=host, port=port)
    configure_logging(settings.log_level, log_polls=settings.log_polls)
    try:
        AllowedHosts.for_settings(settings)
        proxies = trusted_proxies(settings.trusted_proxies)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    for line in prepare_data_folder(settings, demo_checkpoint=not no_worker):
        typer.echo(line, err=True)
    runtime = open_runtime(settings)
    if problem := refuse_exposed_without_password(settings, runtime.database):
        runtime.close()
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    application = create_app(runtime, with_worker=not no_worker)
    typer.echo(f"GAZE serving on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,
        http=guarded_protocol(settings.header_timeout_seconds),
        # X-Forwarded-For/-Proto are believed only from GAZE_TRUSTED_PROXIES (default: nobody)
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )


def worker(
    data_dir: DataDirOption = None,
    threads: Annotated[
        int | None, typer.Option(help="Jobs run at once (default per backend).")
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="Bind this worker to one backend (`local` or a ComfyUI URL).")
    ] = None,
) -> None:
    """Run a standalone worker that takes jobs from the queue."""
    from gaze.jobs.worker import Worker
    from gaze.runtime import open_runtime_when_reachable

    settings = settings_for(data_dir, backends=backend)
    configure_logging(settings.log_level, log_polls=settings.log_polls)
    runtime = open_runtime_when_reachable(settings)
    try:
        Worker(runtime, embedded=False, threads=threads).run_forever()
    finally:
        runtime.close()
