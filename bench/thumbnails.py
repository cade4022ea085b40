"""Thumbnail latency for a 1024x1024 PNG through `gaze serve`: the first request (decode,
scale, WebP encode, cache write), a cached one (read from the disk cache), and a revalidation
(`If-None-Match` answered 304 without reading the thumbnail).

Seeds a fresh data folder with `--images` distinct 1024x1024 PNGs (random pixels: the slowest
to decode), starts `gaze serve --no-worker`, asks each image's thumbnail once (first), then
`--rounds` times each (cached and 304), one request at a time, and prints p50 and p99 of the
time to the last byte per width.

    .venv/bin/python bench/thumbnails.py [--images 40] [--rounds 5] [--widths 256,512,1024]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import init_data, running_server

SIDE = 1024


def write_sources(data_dir: Path, count: int) -> list[str]:
    """`count` PNGs of random pixels under the media folder; their relative paths."""
    folder = data_dir / "uploads" / "presets" / "bench_thumbs"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        pixels = random.Random(number).randbytes(SIDE * SIDE * 3)
        name = f"gen_{1_700_000_000 + number}.png"
        Image.frombytes("RGB", (SIDE, SIDE), pixels).save(folder / name, format="PNG")
        paths.append(f"presets/bench_thumbs/{name}")
    return paths


def timed_get(client: httpx.Client, url: str, expected: int, **headers: str) -> float:
    started = time.perf_counter()
    answer = client.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != expected:
        raise SystemExit(f"{url}: {answer.status_code} {answer.text[:200]}")
    return elapsed


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--widths", default="256,512,1024")
    arguments = parser.parse_args()
    widths = [int(width) for width in arguments.widths.split(",")]
    with tempfile.TemporaryDirectory(prefix="gaze-bench-thumbs-") as folder:
        data_dir = init_data(Path(folder) / "data")
        sources = write_sources(data_dir, arguments.images)
        source_kib = (data_dir / "uploads" / sources[0]).stat().st_size / 1024
        with (
            running_server(data_dir, "--no-worker") as server,
            httpx.Client(base_url=server.url, timeout=60) as client,
        ):
            print(f"{arguments.images} PNGs of {SIDE}x{SIDE} (~{source_kib:.0f} KiB each)")
            for width in widths:
                urls = [f"/static/thumbs/{width}/{source}.webp" for source in sources]
                first = [timed_get(client, url, 200) for url in urls]
                etags = {url: client.get(url).headers["etag"] for url in urls}
                cached, revalidated = [], []
                for _ in range(arguments.rounds):
                    for url in urls:
                        cached.append(timed_get(client, url, 200))
                        revalidated.append(
                            timed_get(client, url, 304, **{"If-None-Match": etags[url]})
                        )
                size_kib = len(client.get(urls[0]).content) / 1024
                print(f"width {width:4d} ({size_kib:5.1f} KiB WebP)")
                print(f"  first     {percentiles(first)}")
                print(f"  cached    {percentiles(cached)}")
                print(f"  304       {percentiles(revalidated)}")


if __name__ == "__main__":
    main()
