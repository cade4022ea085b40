"""Cost of the second pass on the embedded engine: img2img and hires against a plain generation.

A tiny random SD1 checkpoint and tiny ESRGAN models are written to a temporary models folder;
one engine (CPU, fixed threads) runs each case ``--runs`` times after a warm-up, and the median
wall time is compared with the plain text-to-image run at the same first-pass size and steps:

* img2img:         the same size from an init image at denoise 0.75 (fewer steps run, plus a
                   VAE encode);
* hires-<upscaler>: the plain run, then a 1.5x second pass at denoise 0.5 with the same steps
                   (latent, pixel-lanczos, and a tiny 4x ESRGAN model).

Peak memory: the largest case (``--largest`` px first pass, hires 2x through the tiny 4x model,
so the upscale model runs tiled and the VAE works at twice the size) runs in a process of its
own and reports its maximum resident set size, beside a plain run at the same first-pass size
in another process. Then a full-size ESRGAN (23 blocks, 64 features, random weights, as the
"4x-*" models are) is written as ``.pth``, loaded and run on a 64 px image, to show what a real
model costs here.

    .venv/bin/python bench/second_pass.py [--runs 3] [--size 256] [--steps 8] [--threads 2]
        [--largest 1024]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

TINY_MODEL = "4x-tiny.pth"
FULL_SIZE_ESRGAN = {"features": 64, "growth": 32, "blocks": 23}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--largest", type=int, default=1024)
    parser.add_argument("--peak", choices=("plain", "hires"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    return parser.parse_args()


def _prepare(root: Path, size: int) -> None:
    """Models and an init image under ``root``."""
    import numpy as np
    from PIL import Image

    from devkit.tiny_upscale_model import write_tiny_upscale_model
    from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint

    write_tiny_checkpoint(root / "models" / "checkpoints" / "tiny.safetensors", "sd1", seed=1)
    write_tiny_upscale_model(root / "models" / "upscale_models" / TINY_MODEL, "esrgan-new", 4)
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    (root / "media" / "inputs").mkdir(parents=True)
    Image.fromarray(pixels).save(root / "media" / "inputs" / "init.png")


def _engine(root: Path, threads: int) -> Any:
    from gaze.engines.local.engine import LocalEngine

    return LocalEngine(
        root / "models", root / "cache", device="cpu", threads=threads, media_dir=root / "media"
    )


def _specs(root: Path, size: int, steps: int) -> dict[str, Any]:
    from gaze.generation_spec import GenerationSpec, HiresSpec, SourceImage

    init = root / "media" / "inputs" / "init.png"
    source = SourceImage("inputs/init.png", hashlib.sha256(init.read_bytes()).hexdigest())
    plain = GenerationSpec(
        positive="a lighthouse at dusk",
        negative="blurry",
        checkpoint="tiny.safetensors",
        width=size,
        height=size,
        steps=steps,
        seed=3,
    )
    cases = {"plain": plain, "img2img": dataclasses.replace(plain, init_image=source, denoise=0.75)}
    for upscaler in ("latent", "pixel-lanczos", TINY_MODEL):
        hires = HiresSpec(scale=1.5, denoise=0.5, upscaler=upscaler)
        cases[f"hires-{upscaler}"] = dataclasses.replace(plain, hires=hires)
    return cases


def _timings(args: argparse.Namespace, root: Path) -> dict[str, float]:
    from gaze.engines.base import CancelToken

    engine = _engine(root, args.threads)
    medians = {}
    for name, spec in _specs(root, args.size, args.steps).items():
        engine.generate(spec, lambda fraction: None, CancelToken())  # warm-up (and load)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            engine.generate(spec, lambda fraction: None, CancelToken())
            times.append(time.perf_counter() - started)
        medians[name] = statistics.median(times)
    return medians


def _peak(args: argparse.Namespace) -> None:
    """One large run in this process; prints its seconds and peak resident memory as JSON."""
    from gaze.engines.base import CancelToken
    from gaze.generation_spec import HiresSpec

    root = Path(args.root)
    spec = _specs(root, args.largest, args.steps)["plain"]
    if args.peak == "hires":
        spec = dataclasses.replace(spec, hires=HiresSpec(scale=2.0, upscaler=TINY_MODEL))
    started = time.perf_counter()
    image = _engine(root, args.threads).generate(spec, lambda f: None, CancelToken()).image
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, "size": image.size}))


def _peak_in_child(args: argparse.Namespace, root: Path, kind: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--peak", kind, "--root", str(root)]
    command += ["--largest", str(args.largest), "--steps", str(args.steps)]
    command += ["--threads", str(args.threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _full_size_esrgan(root: Path) -> dict[str, float]:
    import torch

    from gaze.engines.local.upscale_models.loading import load_upscale_model
    from gaze.engines.local.upscale_models.rrdbnet import RRDBNet
    from gaze.engines.local.upscale_models.tiled import upscaled_image

    network = RRDBNet(in_channels=3, out_channels=3, doublings=2, **FULL_SIZE_ESRGAN)
    path = root / "4x-full-size.pth"
    torch.save(network.state_dict(), path)
    started = time.perf_counter()
    model = load_upscale_model(path, path.name)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    upscaled_image(model, torch.rand(1, 3, 64, 64))
    return {
        "file_mib": path.stat().st_size / 2**20,
        "load_s": loaded,
        "run_64px_s": time.perf_counter() - started,
    }


def main() -> None:
    args = _arguments()
    if args.peak:
        _peak(args)
        return
    import torch

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _prepare(root, args.size)
        print(f"torch {torch.__version__}, {args.threads} threads, {args.runs} runs + a warm-up")
        medians = _timings(args, root)
        print(f"\n{args.size}x{args.size}, {args.steps} steps (hires 1.5x, denoise 0.5):")
        for name, seconds in medians.items():
            ratio = seconds / medians["plain"]
            print(f"  {name:<22} {seconds:7.3f} s   x{ratio:.2f} of plain")
        print(f"\npeak memory at {args.largest}x{args.largest} (each in its own process):")
        for kind in ("plain", "hires"):
            figures = _peak_in_child(args, root, kind)
            size = "x".join(str(side) for side in figures["size"])
            print(
                f"  {kind:<6} -> {size:<10} {figures['seconds']:7.1f} s"
                f"   peak RSS {figures['peak_mib']:7.0f} MiB"
            )
        esrgan = _full_size_esrgan(root)
        print(
            f"\nfull-size 4x ESRGAN (23 blocks, random weights): {esrgan['file_mib']:.1f} MiB .pth,"
            f" loaded in {esrgan['load_s']:.2f} s, 64x64 -> 256x256 in {esrgan['run_64px_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
