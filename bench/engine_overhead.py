"""Overhead of LocalEngine.generate over sampling the same loaded models directly.

A tiny random SD1 (or SDXL) checkpoint is written to a temporary models folder. After a first
job (which loads the checkpoint), the same spec is run alternately:

* direct: the engine's own loaded models, prompts encoded and sampled with the same functions
          (``encode_prompts``, ``sample_image``), no progress or cancel work;
* engine: LocalEngine.generate, as a GAZE worker calls it (path checks, cache lookup, LoRA and
          VAE bookkeeping, progress and cancel callback every step).

Prints the per-job times, medians and the ratio engine/direct (target <= 1.10), checks that both
produce identical pixels, and shows that jobs after the first did not reload the checkpoint.

    .venv/bin/python bench/engine_overhead.py [--runs 5] [--steps 10] [--size 256] [--kind sd1]
        [--threads 1]

One torch thread by default: on a 2-core machine shared with other CPU work, two OpenMP threads
spin-wait on each other and job times swing by 10x, which drowns the overhead being measured.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gaze.engines.base import CancelToken
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.image_sampling import model_sampling_of, sample_image
from gaze.engines.local.prompt_encoding import encode_prompts
from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint
from gaze.generation_spec import GenerationSpec

TARGET_RATIO = 1.10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--kind", choices=("sd1", "sdxl"), default="sd1")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sampler", default="euler")
    parser.add_argument("--scheduler", default="normal")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaze-engine-bench-") as temp:
        root = Path(temp)
        name = f"tiny-{args.kind}.safetensors"
        write_tiny_checkpoint(root / "models" / "checkpoints" / name, args.kind, seed=1)
        engine = LocalEngine(root / "models", root / "cache", device="cpu", threads=args.threads)
        spec = GenerationSpec(
            positive="a watercolor fox in a snowy forest",
            negative="blurry",
            checkpoint=name,
            width=args.size,
            height=args.size,
            steps=args.steps,
            cfg=7.0,
            sampler=args.sampler,
            scheduler=args.scheduler,
            seed=42,
        )
        started = time.perf_counter()
        first = engine.generate(spec, lambda _: None, CancelToken())
        print(
            f"first job: {time.perf_counter() - started:.3f} s, "
            f"loaded_checkpoint_now={first.info['loaded_checkpoint_now']}"
        )
        current = engine.last_loaded
        assert current is not None
        pipeline = current.loaded.pipeline
        family = current.loaded.family
        model_sampling = model_sampling_of(current.base_scheduler_config)

        direct_times: list[float] = []
        engine_times: list[float] = []
        reloads: list[bool] = []
        same_pixels = True
        for run in range(args.runs):
            started = time.perf_counter()
            with torch.inference_mode():
                conditioning = encode_prompts(
                    pipeline,
                    family,
                    spec.positive,
                    spec.negative,
                    spec.clip_skip,
                    "cpu",
                    weighting=spec.prompt_weighting,
                )
                direct = sample_image(
                    pipeline, family, spec, conditioning, model_sampling, lambda step: None
                )
            direct_times.append(time.perf_counter() - started)

            started = time.perf_counter()
            result = engine.generate(spec, lambda _: None, CancelToken())
            engine_times.append(time.perf_counter() - started)
            reloads.append(bool(result.info["loaded_checkpoint_now"]))
            same_pixels &= direct.tobytes() == result.image.tobytes()
            print(
                f"run {run + 1}: direct {direct_times[-1]:.3f} s  engine {engine_times[-1]:.3f} s"
            )

    direct_median = statistics.median(direct_times)
    engine_median = statistics.median(engine_times)
    ratio = engine_median / direct_median
    print(
        f"\n{args.kind} {args.size}x{args.size}, {args.steps} steps, {args.sampler}/"
        f"{args.scheduler}, {args.threads} threads, {args.runs} runs"
    )
    print(f"direct: median {direct_median:.3f} s  mean {statistics.mean(direct_times):.3f} s")
    print(f"engine: median {engine_median:.3f} s  mean {statistics.mean(engine_times):.3f} s")
    print(f"ratio engine/direct (medians): {ratio:.3f}  (target <= {TARGET_RATIO})")
    print(f"identical pixels engine vs direct: {same_pixels}")
    print(f"checkpoint reloaded on later jobs: {any(reloads)} (loaded_checkpoint_now={reloads})")
    return 0 if ratio <= TARGET_RATIO and same_pixels and not any(reloads) else 1


if __name__ == "__main__":
    raise SystemExit(main())
