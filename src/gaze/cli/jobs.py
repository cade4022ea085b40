"""`gaze jobs`: list, show, cancel, retry, upscale, vary and watch jobs on a running GAZE server.

Also holds what `gaze generate` shares with it: the server options and the live display of
jobs (one rich progress bar per job, fed by the server's event stream).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from gaze.client import GazeApiError, GazeClient, GazeError, Job, Submission

app = typer.Typer(
    help="Jobs on a running GAZE server ($GAZE_URL, key in $GAZE_API_KEY).",
    invoke_without_command=True,
)

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="GAZE_URL", help="The GAZE server.", show_default=True),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="GAZE_API_KEY", help="REST API key (Settings → REST API Key)."
    ),
]
DEFAULT_URL = "http://127.0.0.1:5782"
WaitOption = Annotated[bool, typer.Option("--wait", help="Wait for it and show progress.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Save the image here (implies --wait).")
]
DenoiseOption = Annotated[
    float | None, typer.Option(min=0.0, max=1.0, help="Denoise (0-1); default 0.35.")
]

out = Console()
err = Console(stderr=True)


@contextmanager
def server_client(url: str, api_key: str | None) -> Iterator[GazeClient]:
    """A client for the command; API errors end the command with their message."""
    if not api_key:
        err.print("[red]No API key:[/] set GAZE_API_KEY or pass --api-key.")
        raise typer.Exit(2)
    try:
        with GazeClient(url, api_key) as client:
            yield client
    except GazeApiError as error:
        err.print(f"[red]{error.status} {error.code}:[/] {error.message}")
        raise typer.Exit(1) from None
    except GazeError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None


# -- the live display -------------------------------------------------------------------


def _describe(job: Job) -> str:
    if job.status == "pending":
        where = f"#{job.queue_position} in queue" if job.queue_position else "queued"
        return where + (f", ~{job.eta_seconds:.0f} s" if job.eta_seconds is not None else "")
    if job.status == "processing":
        eta = f", ~{job.eta_seconds:.0f} s left" if job.eta_seconds is not None else ""
        return f"on {job.backend or 'a backend'}{eta}"
    if job.status == "failed":
        return f"failed: {job.error}"
    return job.status


class JobBoard:
    """One progress bar per job; `update(job)` moves its bar."""

    def __init__(self, progress: Progress, job_ids: Sequence[str]) -> None:
        self.progress = progress
        self.jobs: dict[str, Job] = {}
        self.tasks: dict[str, TaskID] = {}
        width = len(str(len(job_ids)))
        for index, job_id in enumerate(job_ids, start=1):
            self.tasks[job_id] = progress.add_task(
                f"{index:>{width}}/{len(job_ids)} {job_id[:8]}", total=1.0, status="queued"
            )

    def update(self, job: Job) -> None:
        if job.id not in self.tasks:
            return
        known = self.jobs.get(job.id)
        if known is not None and known.finished and not job.finished:
            return  # an older event replayed after the end
        self.jobs[job.id] = job
        completed = 1.0 if job.status == "done" else job.progress
        self.progress.update(self.tasks[job.id], completed=completed, status=_describe(job))

    @property
    def finished(self) -> bool:
        return len(self.jobs) == len(self.tasks) and all(j.finished for j in self.jobs.values())


def new_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=err,
    )


def _follow_by_polling(client: GazeClient, board: JobBoard) -> None:
    while not board.finished:
        for job_id in board.tasks:
            board.update(client.job(job_id))
        threading.Event().wait(0.5)


def _follow(
    client: GazeClient, board: JobBoard, batch_id: str | None, job_ids: Sequence[str]
) -> None:
    """Move the bars with the server's events (of the batch, or of the one job)."""
    only = job_ids[0] if len(job_ids) == 1 else None
    if batch_id is None and only is None:
        _follow_by_polling(client, board)
        return
    try:
        for event in client.events(job=only, batch=None if only else batch_id):
            if event.type == "snapshot":
                for listed in event.jobs:
                    board.update(listed)
            elif (changed := event.job) is not None:
                board.update(changed)
            if board.finished:
                return
    except GazeApiError:
        _follow_by_polling(client, board)


def watch_jobs(
    client: GazeClient, job_ids: Sequence[str], *, batch_id: str | None = None
) -> list[Job]:
    """Show the jobs' progress until every one is finished; returns them, finished."""
    with new_progress() as progress:
        board = JobBoard(progress, job_ids)
        for job_id in job_ids:
            board.update(client.job(job_id))
        if not board.finished:
            _follow(client, board, batch_id, job_ids)
    return [client.job(job_id) for job_id in job_ids]


def report_finished(client: GazeClient, jobs: Sequence[Job], out_dir: Path | None) -> int:
    """Print each job's image (saved into `out_dir` when given) or error; 0 if all done."""
    code = 0
    for job in jobs:
        if job.status == "done" and job.result is not None:
            if out_dir is not None:
                out.print(str(client.download(job, out_dir)), soft_wrap=True)
            else:
                out.print(f"{client.url}{job.result.image_url}", soft_wrap=True)
        else:
            code = 1
            reason = f": {job.error}" if job.error else ""
            err.print(f"[red]job {job.id} {job.status}{reason}[/]")
    return code


# -- commands ---------------------------------------------------------------------------


def _print_json(data: object) -> None:
    out.print_json(json.dumps(data))


def _jobs_table(jobs: Sequence[Job]) -> Table:
    table = Table("id", "status", "progress", "preset", "backend", "created")
    for job in jobs:
        table.add_row(
            job.id,
            job.status,
            f"{job.progress:.0%}",
            job.preset or "",
            job.backend or "",
            (job.created_at or "")[:19].replace("T", " "),
        )
    return table


@app.callback()
def jobs_group(context: typer.Context) -> None:
    """List, show, cancel, retry, upscale, vary and watch jobs (`gaze jobs` alone lists the
    newest)."""
    if context.invoked_subcommand is None:
        context.invoke(
            list_jobs,
            url=os.environ.get("GAZE_URL") or DEFAULT_URL,
            api_key=os.environ.get("GAZE_API_KEY"),
        )


@app.command("list")
def list_jobs(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help="pending, processing, done, failed, cancelled."),
    ] = None,
    preset: Annotated[str | None, typer.Option(help="Only this preset's jobs.")] = None,
    batch: Annotated[str | None, typer.Option(help="Only this batch's jobs.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """The newest jobs, filtered."""
    with server_client(url, api_key) as client:
        page = client.jobs(status=status, preset=preset, batch_id=batch, limit=limit)
    if as_json:
        _print_json({"jobs": [job.raw for job in page.jobs], "next_cursor": page.next_cursor})
    else:
        out.print(_jobs_table(page.jobs))


@app.command("show")
def show_job(
    job_id: Annotated[str, typer.Argument(help="The job's id.")],
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """One job, as the API reports it (JSON)."""
    with server_client(url, api_key) as client:
        _print_json(client.job(job_id).raw)


@app.command("cancel")
def cancel_jobs(
    job_ids: Annotated[list[str], typer.Argument(help="The jobs to cancel.")],
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Cancel jobs: pending ones leave the queue, running ones stop on their backend."""
    with server_client(url, api_key) as client:
        for job_id in job_ids:
            job = client.cancel(job_id)
            out.print(f"{job.id} {job.status}")


@app.command("retry")
def retry_job(
    job_id: Annotated[str, typer.Argument(help="A finished job to run again.")],
    wait: WaitOption = False,
    out_dir: OutOption = None,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Queue the same generation (same seed) again as a new job; prints its id."""
    with server_client(url, api_key) as client:
        report_queued(client, client.retry(job_id), wait=wait, out_dir=out_dir)


def report_queued(
    client: GazeClient, queued: Submission, *, wait: bool, out_dir: Path | None
) -> None:
    """Print the new job ids; with `wait` (or `out_dir`) follow them and print their images."""
    for new_id in queued.job_ids:
        out.print(new_id)
    if wait or out_dir is not None:
        jobs = watch_jobs(client, queued.job_ids, batch_id=queued.batch_id)
        raise typer.Exit(report_finished(client, jobs, out_dir))


@app.command("upscale")
def upscale_job(
    job_id: Annotated[str, typer.Argument(help="A done job whose image to upscale.")],
    scale: Annotated[
        float | None, typer.Option(min=1.0, max=4.0, help="Scale (1-4); default 2.")
    ] = None,
    upscaler: Annotated[
        str | None,
        typer.Option(help="latent*, pixel-* or an upscale model file; default pixel-lanczos."),
    ] = None,
    denoise: DenoiseOption = None,
    wait: WaitOption = False,
    out_dir: OutOption = None,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Upscale a done job's image (a hires pass, same seed) as a new job; prints its id."""
    with server_client(url, api_key) as client:
        queued = client.upscale(job_id, scale=scale, upscaler=upscaler, denoise=denoise)
        report_queued(client, queued, wait=wait, out_dir=out_dir)


@app.command("vary")
def vary_job(
    job_id: Annotated[str, typer.Argument(help="A done job whose image to vary.")],
    denoise: DenoiseOption = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed; default a new random one.")] = None,
    count: Annotated[int | None, typer.Option(min=1, max=20, help="Variations; default 1.")] = None,
    wait: WaitOption = False,
    out_dir: OutOption = None,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """img2img from a done job's image with a new seed as new jobs; prints their ids."""
    with server_client(url, api_key) as client:
        queued = client.vary(job_id, denoise=denoise, seed=seed, count=count)
        report_queued(client, queued, wait=wait, out_dir=out_dir)


@app.command("watch")
def watch(
    job_ids: Annotated[list[str] | None, typer.Argument(help="Jobs to watch.")] = None,
    batch: Annotated[str | None, typer.Option(help="Watch every job of this batch.")] = None,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Progress bars until the jobs (or the batch) are finished; prints their images."""
    if not job_ids and batch is None:
        err.print("[red]Name jobs to watch, or --batch.[/]")
        raise typer.Exit(2)
    with server_client(url, api_key) as client:
        ids = list(job_ids or [])
        if batch is not None:
            ids += [job.id for job in client.batch(batch).jobs if job.id not in ids]
        jobs = watch_jobs(client, ids, batch_id=batch)
        raise typer.Exit(report_finished(client, jobs, None))


__all__: list[str] = [
    "ApiKeyOption",
    "UrlOption",
    "app",
    "report_finished",
    "report_queued",
    "server_client",
    "watch_jobs",
]
