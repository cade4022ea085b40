"""`gaze generate <preset>`: queue images on a running GAZE server, optionally wait for them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaze.cli.jobs import (
    DEFAULT_URL,
    ApiKeyOption,
    UrlOption,
    out,
    report_finished,
    server_client,
    watch_jobs,
)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    preset: Annotated[str, typer.Argument(help="Slug of the preset, e.g. example_01.")],
    count: Annotated[int, typer.Option(min=1, max=20, help="Images to generate.")] = 1,
    seed: Annotated[
        int | None, typer.Option(min=0, help="First seed; the images use seed, seed+1, …")
    ] = None,
    width: Annotated[int | None, typer.Option(help="Width in pixels (with --height).")] = None,
    height: Annotated[int | None, typer.Option(help="Height in pixels (with --width).")] = None,
    checkpoint: Annotated[
        str | None, typer.Option(help="Checkpoint path, relative to the checkpoints folder.")
    ] = None,
    extra_positive: Annotated[
        str | None, typer.Option("--extra-positive", help="Tags added to the positive prompt.")
    ] = None,
    extra_negative: Annotated[
        str | None, typer.Option("--extra-negative", help="Tags added to the negative prompt.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show progress until done; print the image URLs.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Save the images into this folder (implies --wait)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Queue images of a preset on a running server.

    Prints the job ids; --wait shows a progress bar per job, then the image URLs;
    --out DIR saves the images there and prints their paths.
    """
    with server_client(url, api_key) as client:
        queued = client.generate(
            preset,
            count=count,
            seed=seed,
            width=width,
            height=height,
            checkpoint=checkpoint,
            extra_positive=extra_positive,
            extra_negative=extra_negative,
        )
        if not (wait or out_dir is not None):
            out.print(f"batch {queued.batch_id}")
            for job_id in queued.job_ids:
                out.print(job_id)
            return
        jobs = watch_jobs(client, queued.job_ids, batch_id=queued.batch_id)
        raise typer.Exit(report_finished(client, jobs, out_dir))
