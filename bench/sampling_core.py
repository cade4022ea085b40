"""Time per step and peak memory: GAZE's sampling core against the previous diffusers path.

A tiny random SD1 (or SDXL) checkpoint is written to a temporary models folder and loaded once
per path, each path in a process of its own (so each peak resident memory is its own):

* core:     what the embedded engine runs now: ``image_sampling.sample_image`` (ComfyUI's
            schedules and samplers over the UNet with classifier-free guidance, then the VAE);
* diffusers: the path the engine used before: the diffusers pipeline with its own scheduler
            (``EulerDiscreteScheduler`` for euler/normal, ``EulerAncestralDiscreteScheduler``
            for euler_ancestral), given the same prompt embeddings.

Both report a timestamp after every step; the figure is the median time between steps (the
UNet dominates it), and the ratio core / diffusers (target <= 1.02); the whole run (all steps
and the VAE decode, prompts already encoded) is printed beside it. Peak memory is the
process's maximum resident set size after the runs.

    .venv/bin/python bench/sampling_core.py [--runs 3] [--steps 12] [--size 256] [--kind sd1]
        [--threads 1] [--sampler euler]
"""

from __future__ import annotations

import argparse
import itertools
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

TARGET_RATIO = 1.02
DIFFUSERS_SCHEDULERS = {
    "euler": "EulerDiscreteScheduler",
    "euler_ancestral": "EulerAncestralDiscreteScheduler",
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--kind", choices=("sd1", "sdxl"), default="sd1")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sampler", choices=sorted(DIFFUSERS_SCHEDULERS), default="euler")
    parser.add_argument("--path", choices=("core", "diffusers"), help=argparse.SUPPRESS)
    parser.add_argument("--models", help=argparse.SUPPRESS)
    return parser.parse_args()


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    """One path, in this process: per-step intervals over ``--runs`` runs after a warm-up."""
    import torch

    from gaze.engines.base import CancelToken
    from gaze.engines.local.engine import LocalEngine
    from gaze.engines.local.image_sampling import model_sampling_of, sample_image
    from gaze.engines.local.prompt_encoding import encode_prompts
    from gaze.generation_spec import GenerationSpec

    root = Path(args.models)
    engine = LocalEngine(root / "models", root / "cache", device="cpu", threads=args.threads)
    spec = GenerationSpec(
        positive="a watercolor fox in a snowy forest",
        negative="blurry",
        checkpoint=f"tiny-{args.kind}.safetensors",
        width=args.size,
        height=args.size,
        steps=args.steps,
        cfg=7.0,
        sampler=args.sampler,
        scheduler="normal",
        seed=42,
    )
    engine.generate(dataclass_copy(spec, steps=2), lambda _: None, CancelToken())
    current = engine.last_loaded
    assert current is not None
    pipeline = current.loaded.pipeline
    family = current.loaded.family

    def timed_run() -> tuple[list[float], float]:
        stamps: list[float] = []
        with torch.inference_mode():
            conditioning = encode_prompts(
                pipeline, family, spec.positive, spec.negative, None, "cpu"
            )
            stamps.append(time.perf_counter())
            if args.path == "core":
                sample_image(
                    pipeline,
                    family,
                    spec,
                    conditioning,
                    model_sampling_of(current.base_scheduler_config),
                    lambda step: stamps.append(time.perf_counter()),
                )
            else:
                import diffusers

                scheduler_class = getattr(diffusers, DIFFUSERS_SCHEDULERS[args.sampler])
                pipeline.scheduler = scheduler_class.from_config(current.base_scheduler_config)

                def on_step_end(pipe: Any, step: int, timestep: Any, tensors: Any) -> Any:
                    stamps.append(time.perf_counter())
                    return tensors

                pipeline(
                    **conditioning.pipeline_arguments(),
                    width=spec.width,
                    height=spec.height,
                    num_inference_steps=spec.steps,
                    guidance_scale=spec.cfg,
                    generator=torch.Generator().manual_seed(spec.seed),
                    callback_on_step_end=on_step_end,
                )
            finished = time.perf_counter()
        steps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
        return steps, finished - stamps[0]

    timed_run()  # warm-up, not counted
    runs = [timed_run() for _ in range(args.runs)]
    intervals = [interval for steps, _ in runs for interval in steps]
    return {
        "path": args.path,
        "step_median": statistics.median(intervals),
        "step_mean": statistics.mean(intervals),
        "steps_timed": len(intervals),
        "run_median": statistics.median(total for _, total in runs),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def dataclass_copy(spec: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(spec, **changes)


def main() -> int:
    args = _arguments()
    if args.path:
        print(json.dumps(_measure(args)))
        return 0
    from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint

    with tempfile.TemporaryDirectory(prefix="gaze-sampling-bench-") as temp:
        name = f"tiny-{args.kind}.safetensors"
        write_tiny_checkpoint(Path(temp) / "models" / "checkpoints" / name, args.kind, seed=1)
        results = {}
        for path in ("diffusers", "core"):
            command = [sys.executable, __file__, "--path", path, "--models", temp]
            command += [f"--{key}={getattr(args, key)}" for key in ("runs", "steps", "size")]
            command += [f"--kind={args.kind}", f"--threads={args.threads}"]
            command += [f"--sampler={args.sampler}"]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[path] = json.loads(output.strip().splitlines()[-1])
    core, diffusers = results["core"], results["diffusers"]
    ratio = core["step_median"] / diffusers["step_median"]
    print(
        f"{args.kind} {args.size}x{args.size}, {args.steps} steps, {args.sampler}/normal, "
        f"cfg 7, {args.threads} thread(s), {args.runs} timed runs per path"
    )
    for result in (diffusers, core):
        print(
            f"{result['path']:>9}: step median {result['step_median'] * 1000:.1f} ms, "
            f"mean {result['step_mean'] * 1000:.1f} ms over {result['steps_timed']} steps; "
            f"whole run (sampling + decode) median {result['run_median']:.3f} s; "
            f"peak RSS {result['peak_rss_mib']:.0f} MiB"
        )
    print(f"ratio core/diffusers (step medians): {ratio:.3f}  (target <= {TARGET_RATIO})")
    print(f"peak memory core/diffusers: {core['peak_rss_mib'] / diffusers['peak_rss_mib']:.3f}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
