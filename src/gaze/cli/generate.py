"""`gaze generate <preset>` (or `--recipe FILE`): queue images on a running GAZE server,
optionally wait for them."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Any

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

RANDOM_SLOT = "random"


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    preset: Annotated[
        str | None, typer.Argument(help="Slug of the preset, e.g. example_01 (or --recipe).")
    ] = None,
    recipe: Annotated[
        str | None,
        typer.Option(
            "--recipe",
            help="Compose without a saved preset: a JSON file of a preset's fields (slots, "
            "checkpoint, prompts, size...); - reads it from standard input.",
        ),
    ] = None,
    slot: Annotated[
        list[str] | None,
        typer.Option(
            "--slot",
            help="Replace a slot: category=id, category=none, category=random or "
            "category=random:id1,id2 (repeatable).",
        ),
    ] = None,
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
    if (preset is None) == (recipe is None):
        err.print("[red]Give a preset slug or --recipe FILE (one of them).[/]")
        raise typer.Exit(2)
    slots = parse_slots(slot or [])
    with server_client(url, api_key) as client:
        if recipe is not None:
            submit = partial(client.compose, read_recipe(recipe))
        else:
            assert preset is not None
            submit = partial(client.generate, preset)
        queued = submit(
            slots=slots or None,
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


def parse_slots(values: list[str]) -> dict[str, Any]:
    """``--slot`` values as the API's ``slots``: an id fixes the slot, ``none`` turns it off,
    ``random`` draws from the whole category, ``random:a,b`` from those ids."""
    slots: dict[str, Any] = {}
    for value in values:
        category, separator, choice = value.partition("=")
        if not separator or not category or not choice:
            err.print(f"[red]--slot {value!r}: write category=id (or none, random, random:a,b).[/]")
            raise typer.Exit(2)
        if choice == "none":
            slots[category] = None
        elif choice == RANDOM_SLOT:
            slots[category] = {"mode": "random"}
        elif choice.startswith(f"{RANDOM_SLOT}:"):
            ids = [item for item in choice.removeprefix(f"{RANDOM_SLOT}:").split(",") if item]
            slots[category] = {"mode": "random", "pool": {"kind": "list", "ids": ids}}
        else:
            slots[category] = choice
    return slots


def read_recipe(source: str) -> dict[str, Any]:
    """The recipe document of ``--recipe`` (a file, or - for standard input)."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        err.print(f"[red]--recipe {source}: {error}[/]")
        raise typer.Exit(2) from None
    if not isinstance(document, dict):
        err.print(f"[red]--recipe {source}: a JSON object of a preset's fields is needed.[/]")
        raise typer.Exit(2)
    return document
