"""Preset resolutions per second on one core.

A typical preset (random character, outfit by tag, random scene, style from a list, random
action, two random detailers, a random checkpoint, a fixed look) over a generated library of
a few hundred resources, most with LoRAs (half with weight ranges). Target: 10,000/s.

Then the same preset with five wildcards in its prompts and the request's extra prompt (two of
them ``__wordlist__`` picks from wordlists of 10,000 lines, one nested), against the issue's
target: at least 0.8x the 14,000/s the plain preset resolved before wildcards existed.

    .venv/bin/python bench/resolve_throughput.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import random
import time

from gaze.library.schema import CheckpointSettings, Resource, resource_model_for
from gaze.library.view import InMemoryLibrary
from gaze.library.wordlist_schema import Wordlist
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.presets.schema import Preset

TARGET_PER_SECOND = 10_000
BEFORE_WILDCARDS_PER_SECOND = 14_000
WILDCARD_TARGET_RATIO = 0.8
WORDLIST_LINES = 10_000
LIBRARY_SIZES = {
    "characters": 60,
    "looks": 30,
    "outfits": 60,
    "actions": 40,
    "styles": 40,
    "scenes": 50,
    "detailers": 30,
}
WORDS = (
    *("red", "blue", "green", "silver", "long", "short", "hair", "eyes", "dress", "coat"),
    *("boots", "forest", "city", "night", "rain", "sun", "smile", "standing", "sitting"),
    *("holding", "book", "sword", "lantern", "window", "garden", "river", "mountain", "snow"),
)


def _tags(rng: random.Random, count: int) -> str:
    return ", ".join(" ".join(rng.sample(WORDS, 2)) for _ in range(count))


def build_library() -> InMemoryLibrary:
    rng = random.Random(7)
    resources: list[Resource] = []
    for category, size in LIBRARY_SIZES.items():
        model = resource_model_for(category)
        for number in range(size):
            document: dict = {
                "id": f"{category}_{number:03d}",
                "name": f"{category.title()} {number}",
                "fields": {
                    "main": {"a": _tags(rng, 4), "b": [_tags(rng, 1), _tags(rng, 1)]},
                    "extra": {"c": _tags(rng, 3)},
                },
                "default_fields": ["main::a", "main::b", "extra::c"],
                "tags": {"kind": rng.choice(["casual", "formal", "fantasy"])},
            }
            if number % 3:
                weight = {"min": 0.5, "max": 0.9} if number % 2 else 0.8
                document["lora"] = {
                    "file": f"{category}/{number:03d}.safetensors",
                    "weight": weight,
                    "triggers": [f"trigger{number}"],
                }
            if category == "characters":
                document["identity"] = {"base": "1girl, solo", "hair": _tags(rng, 2)}
                document["default_fields"] = ["identity::base", "identity::hair", "main::a"]
                document["wardrobe"] = {"usual": {"fields": {"top": _tags(rng, 3)}}}
                document["active_outfit"] = "usual"
            if category == "detailers":
                document["prompt_tags"] = ["highly detailed", "sharp focus"]
            resources.append(model.model_validate(document))
    checkpoints = [
        CheckpointSettings(
            path=f"sdxl/model_{number}.safetensors",
            base_model="sdxl",
            prefix="masterpiece, best quality",
            negative_prefix="lowres, bad hands",
        )
        for number in range(5)
    ]
    wordlists = [
        Wordlist.model_validate(
            {
                "id": name,
                "name": name.title(),
                "lines": [
                    f"{name} {number} {rng.choice(WORDS)}" for number in range(WORDLIST_LINES)
                ],
            }
        )
        for name in ("colors", "places")
    ]
    return InMemoryLibrary(resources, checkpoints, wordlists)


TYPICAL_PRESET = Preset.model_validate(
    {
        "id": "bench",
        "name": "Bench",
        "characters": {"mode": "random"},
        "looks": {"mode": "fixed", "id": "looks_001"},
        "outfits": {"mode": "random", "pool": {"kind": "tag", "key": "kind", "value": "casual"}},
        "actions": {"mode": "random"},
        "styles": {
            "mode": "random",
            "pool": {"kind": "list", "ids": [f"styles_{n:03d}" for n in range(0, 40, 4)]},
        },
        "scenes": {"mode": "random"},
        "detailers": {"mode": "random", "count": 2},
        "checkpoint_pool": [f"sdxl/model_{number}.safetensors" for number in range(5)],
        "orientation": "portrait",
        "positive": "looking at viewer, cowboy shot",
        "negative": "blurry, watermark",
    }
)


WILDCARD_PRESET = TYPICAL_PRESET.model_copy(
    update={
        "positive": "looking at viewer, {cowboy shot|full body|portrait}, __colors__ eyes, "
        "{2$$rain|snow|fog|sun}",
        "negative": "blurry, {watermark|signature|text}",
    }
)
WILDCARD_EXTRA = "smiling, {outdoors at __places__|indoors}"


def measure(seconds: float, *, wildcards: bool = False) -> float:
    library = build_library()
    preset = WILDCARD_PRESET if wildcards else TYPICAL_PRESET
    extra = WILDCARD_EXTRA if wildcards else "smiling, outdoors"
    overrides = Overrides(extra_positive=extra, extra_negative="blurry")
    for seed in range(2_000):  # warm up caches (tag splitting, pools)
        resolve_preset(preset, library, overrides, seed)
    count = 0
    seed = 10_000
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(1_000):
            resolve_preset(preset, library, overrides, seed)
            seed += 1
        count += 1_000
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure")
    arguments = parser.parse_args()
    rate = measure(arguments.seconds)
    size = sum(LIBRARY_SIZES.values())
    print(f"library: {size} resources; preset: 6 random slots, 1 fixed, random checkpoint")
    print(f"resolutions per second (one core): {rate:,.0f}")
    print(f"target: {TARGET_PER_SECOND:,}/s; ratio to target: {rate / TARGET_PER_SECOND:.2f}")
    with_wildcards = measure(arguments.seconds, wildcards=True)
    ratio = with_wildcards / BEFORE_WILDCARDS_PER_SECOND
    print(
        f"with 5 wildcards (2 wordlists of {WORDLIST_LINES:,} lines): {with_wildcards:,.0f}/s; "
        f"{with_wildcards / rate:.2f}x the plain preset"
    )
    print(
        f"ratio to {BEFORE_WILDCARDS_PER_SECOND:,}/s (before wildcards): {ratio:.2f} "
        f"(target >= {WILDCARD_TARGET_RATIO})"
    )


if __name__ == "__main__":
    main()
