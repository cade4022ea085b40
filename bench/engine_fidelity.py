"""Cost of fidelity: 3 LoRAs and a 225-token weighted prompt over a bare generation.

A tiny random SD1 (or SDXL) checkpoint and three tiny LoRAs (one in each file naming: kohya,
peft, diffusers) are written to a temporary models folder. After a warm-up job of each kind (the
first LoRA job also reads the three files and fuses them; that one-time cost is reported apart),
these jobs run in turn, ``--runs`` times:

* bare:    a short plain prompt, no LoRAs;
* prompt:  a 225-token Illustrious-style tag list with ``(tag:1.2)`` / ``[tag]`` weights
           (positive; the negative is a shorter weighted list), no LoRAs;
* loras:   the short prompt with the three LoRAs (model and clip weights);
* full:    the long weighted prompt and the three LoRAs.

In that rotation ``loras`` follows a job without LoRAs, so it fuses the set again each time
(and ``bare`` restores the checkpoint's own weights); ``full`` reuses the fused set. Prints
per-kind medians and the ratios over bare (the headline is full / bare).

Then the LoRA cost (issue 18: at most 1.1x), ``--runs`` times: two bare jobs, then two jobs with
the three LoRAs. The second of each pair runs on the weights as the first left them, so it is
the steady figure (seconds per plain image, per 3-LoRA image with the set already fused, and
their ratio); the first of each pair shows what switching costs (fusing the set, restoring the
weights).

    .venv/bin/python bench/engine_fidelity.py [--runs 5] [--steps 10] [--size 256] [--kind sd1]
        [--threads 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devkit.tiny_lora import LORA_NAMINGS, write_tiny_lora
from gaze.engines.base import CancelToken
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.prompt_encoding import tokenize_prompt
from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint
from gaze.generation_spec import GenerationSpec, LoraSpec

PROMPT_TOKENS = 225
TAGS = (
    "masterpiece",
    "best quality",
    "(amazing quality:1.2)",
    "very aesthetic",
    "absurdres",
    "1girl",
    "solo",
    "(long hair:1.1)",
    "silver hair",
    "[blunt bangs]",
    "(red eyes:1.3)",
    "looking at viewer",
    "smile",
    "(school uniform:1.2)",
    "pleated skirt",
    "thighhighs",
    "cherry blossoms",
    "((petals))",
    "outdoors",
    "blue sky",
    "depth of field",
    "(cinematic lighting:1.15)",
    r"yuuki \(series\)",
    "wind",
    "[[simple background]]",
    "hand on own chest",
    "detailed eyes",
)
NEGATIVE = "(worst quality:1.4), (low quality:1.3), lowres, bad anatomy, [text], watermark"


def weighted_prompt(tokenizer: object, target: int = PROMPT_TOKENS) -> str:
    """Tags from ``TAGS`` (cycled) until the prompt has exactly ``target`` tokens."""

    def tokens(text: str) -> int:
        return sum(chunk.prompt_tokens for chunk in tokenize_prompt(tokenizer, text))

    tags: list[str] = []
    index = 0
    while True:
        candidate = ", ".join([*tags, TAGS[index % len(TAGS)]])
        if tokens(candidate) > target:
            break
        tags.append(TAGS[index % len(TAGS)])
        index += 1
    prompt = ", ".join(tags)
    while tokens(prompt) < target:
        prompt += " x"  # one token each
    return prompt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--kind", choices=("sd1", "sdxl"), default="sd1")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaze-fidelity-bench-") as temp:
        root = Path(temp)
        name = f"tiny-{args.kind}.safetensors"
        write_tiny_checkpoint(root / "models" / "checkpoints" / name, args.kind, seed=1)
        lora_names = []
        for index, naming in enumerate(LORA_NAMINGS):
            lora_name = f"{naming}.safetensors"
            write_tiny_lora(root / "models" / "loras" / lora_name, args.kind, 10 + index, naming)
            lora_names.append(lora_name)
        engine = LocalEngine(root / "models", root / "cache", device="cpu", threads=args.threads)
        bare = GenerationSpec(
            positive="a watercolor fox in a snowy forest",
            negative="blurry",
            checkpoint=name,
            width=args.size,
            height=args.size,
            steps=args.steps,
            seed=42,
        )

        def run(spec: GenerationSpec) -> tuple[float, dict]:
            started = time.perf_counter()
            result = engine.generate(spec, lambda _: None, CancelToken())
            return time.perf_counter() - started, result.info

        run(bare)  # loads the checkpoint
        prompt = weighted_prompt(engine.pipeline.tokenizer)
        loras = tuple(
            LoraSpec(lora_name, model, clip)
            for lora_name, model, clip in zip(
                lora_names, (0.8, 0.6, 0.4), (1.0, 0.5, 0.3), strict=True
            )
        )
        specs = {
            "bare": bare,
            "prompt": dataclasses.replace(bare, positive=prompt, negative=NEGATIVE),
            "loras": dataclasses.replace(bare, loras=loras),
            "full": dataclasses.replace(bare, positive=prompt, negative=NEGATIVE, loras=loras),
        }
        first_lora_job, _ = run(specs["loras"])  # reads the three files and fuses them
        warm_lora_job, _ = run(specs["loras"])
        _, info = run(specs["full"])
        times: dict[str, list[float]] = {kind: [] for kind in specs}
        for _ in range(args.runs):
            for kind, spec in specs.items():
                seconds, run_info = run(spec)
                assert not run_info["loaded_checkpoint_now"], "the checkpoint was reloaded"
                times[kind].append(seconds)
        cost = lora_cost(run, specs["bare"], specs["loras"], args.runs)

    medians = {kind: statistics.median(values) for kind, values in times.items()}
    print(
        f"{args.kind} {args.size}x{args.size}, {args.steps} steps, {args.threads} threads, "
        f"{args.runs} runs; prompt {PROMPT_TOKENS} tokens in {info['prompt_chunks']} chunks, "
        f"{len(loras)} LoRAs ({', '.join(LORA_NAMINGS)})"
    )
    print(
        f"first job with the LoRAs (reads and fuses 3 files): {first_lora_job:.3f} s, next one "
        f"{warm_lora_job:.3f} s"
    )
    for kind, median in medians.items():
        print(
            f"{kind:>6}: median {median:.3f} s  min {min(times[kind]):.3f} s  "
            f"ratio over bare {median / medians['bare']:.3f}"
        )
    print(f"full / bare (medians): {medians['full'] / medians['bare']:.3f}")
    print_lora_cost(cost)
    return 0


Run = Callable[[GenerationSpec], tuple[float, dict]]


def lora_cost(run: Run, bare: GenerationSpec, loras: GenerationSpec, runs: int) -> dict:
    """Job times by kind: ``plain`` and ``loras`` (same weights as the job before), ``fuse`` (a
    LoRA job after a plain one) and ``restore`` (a plain job after a LoRA one)."""
    times: dict[str, list[float]] = {"plain": [], "loras": [], "fuse": [], "restore": []}
    for _ in range(runs):
        for switch, steady, spec in (("restore", "plain", bare), ("fuse", "loras", loras)):
            for kind in (switch, steady):
                seconds, info = run(spec)
                assert not info["loaded_checkpoint_now"], "the checkpoint was reloaded"
                times[kind].append(seconds)
    return times


def print_lora_cost(times: dict[str, list[float]]) -> None:
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    plain, loras = medians["plain"], medians["loras"]
    print(f"LoRA cost ({len(times['plain'])} runs, medians; target loras / plain <= 1.10):")
    print(f"  plain image          : {plain:.3f} s  (min {min(times['plain']):.3f} s)")
    print(f"  3-LoRA image (fused) : {loras:.3f} s  (min {min(times['loras']):.3f} s)")
    print(f"  ratio loras / plain  : {loras / plain:.3f}")
    print(
        f"  switching: a LoRA job after a plain one {medians['fuse']:.3f} s "
        f"({medians['fuse'] - plain:+.3f} s to fuse), a plain job after a LoRA one "
        f"{medians['restore']:.3f} s ({medians['restore'] - plain:+.3f} s to restore)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
