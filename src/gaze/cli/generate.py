"""`gaze generate <preset>`: queue images on a running GAZE server, optionally wait for them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaze.cli.jobs import (
    DEFAULT_URL,
    ApiKeyOption,
    UrlOption,
    err,
    out,
    report_finished,
    server_client,
    watch_jobs,
)
from gaze.client import UNSET, GazeClient, Hires, Unset


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
    init_image: Annotated[
        str | None,
        typer.Option(
            "--init-image",
            help="img2img from this image: a local file (uploaded first), or a path on the "
            "server (an upload's inputs/… or a gallery image's relative path).",
        ),
    ] = None,
    denoise: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="With --init-image: the strength; default 0.75."),
    ] = None,
    resize: Annotated[
        str | None,
        typer.Option(help="With --init-image and a size: crop, stretch or pad."),
    ] = None,
    mask: Annotated[
        str | None,
        typer.Option(help="With --init-image: repaint where this mask is white (file or path)."),
    ] = None,
    mask_blur: Annotated[
        int | None,
        typer.Option("--mask-blur", min=0, help="With --mask: feather its edge (px, default 4)."),
    ] = None,
    mask_grow: Annotated[
        int | None,
        typer.Option("--mask-grow", min=0, help="With --mask: grow it first (px, default 6)."),
    ] = None,
    hires_scale: Annotated[
        float | None, typer.Option("--hires-scale", min=1.0, max=4.0, help="Hires pass scale.")
    ] = None,
    hires_denoise: Annotated[
        float | None,
        typer.Option("--hires-denoise", min=0.0, max=1.0, help="Hires pass denoise."),
    ] = None,
    hires_steps: Annotated[
        int | None, typer.Option("--hires-steps", min=1, max=200, help="Hires pass steps.")
    ] = None,
    hires_upscaler: Annotated[
        str | None,
        typer.Option("--hires-upscaler", help="latent*, pixel-* or an upscale model file."),
    ] = None,
    hires_sampler: Annotated[
        str | None,
        typer.Option("--hires-sampler", help="Hires pass sampler (default: the first pass's)."),
    ] = None,
    hires_scheduler: Annotated[
        str | None,
        typer.Option("--hires-scheduler", help="Hires pass scheduler (default: the first pass's)."),
    ] = None,
    no_hires: Annotated[
        bool, typer.Option("--no-hires", help="Turn the preset's hires pass off.")
    ] = False,
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

    Any --hires-* option asks for a hires pass (the others take the server's defaults).
    """
    wanted = Hires(
        scale=hires_scale,
        denoise=hires_denoise,
        steps=hires_steps,
        upscaler=hires_upscaler,
        sampler=hires_sampler,
        scheduler=hires_scheduler,
    )
    hires = _hires(wanted, no_hires=no_hires)
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
            init_image=_on_server(client, init_image),
            denoise=denoise,
            resize=resize,
            mask=_on_server(client, mask),
            mask_blur=mask_blur,
            mask_grow=mask_grow,
            hires=hires,
        )
        if not (wait or out_dir is not None):
            out.print(f"batch {queued.batch_id}")
            for job_id in queued.job_ids:
                out.print(job_id)
            return
        jobs = watch_jobs(client, queued.job_ids, batch_id=queued.batch_id)
        raise typer.Exit(report_finished(client, jobs, out_dir))


def _on_server(client: GazeClient, image: str | None) -> str | None:
    """A local image file is uploaded (its server path returned); anything else is taken as a
    path on the server already."""
    if image is None or not Path(image).is_file():
        return image
    return client.upload(Path(image)).relative_path


def _hires(wanted: Hires, *, no_hires: bool) -> Hires | Unset | None:
    if no_hires:
        if wanted.to_json():
            err.print("[red]--no-hires cannot go with --hires-* options.[/]")
            raise typer.Exit(2)
        return None
    return wanted if wanted.to_json() else UNSET
