"""GET /api/v1/tags latency for a 200,000-tag vocabulary against a real server.

Prepares a data folder (`gaze init`), writes a 200,000-line tag-autocomplete CSV (a tenth of
the tags with an alias), imports it with `gaze tags import` (prints the seconds), starts
`gaze serve` and times requests for random one- to four-letter prefixes, each client sending
its share in sequence over one keep-alive connection (`--clients` at once: the server under
load). Prints p50, p99, requests per second and the server's CPU time per request (the
figure that holds when the machine is busy). Target: p99 under 20 ms.

    .venv/bin/python bench/tags.py [--tags 200000] [--requests 3000] [--clients 1]
"""

from __future__ import annotations

import argparse
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import GAZE, gaze_env, init_data, running_server

TARGET_P99_MS = 20.0


def write_csv(path: Path, count: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("name,category,post_count,aliases\n")
        for number in range(count):
            word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9)))
            alias = f'"{word} alias {number}"' if number % 10 == 0 else ""
            post_count = int(rng.paretovariate(1.2) * 10)
            out.write(f"{word}_{number},{number % 6},{post_count},{alias}\n")


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_requests(url: str, headers: dict[str, str], prefixes: list[str]) -> list[float]:
    """Milliseconds per request, sent one after another over one connection."""
    times = []
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for prefix in prefixes:
            start = time.perf_counter()
            response = client.get("/api/v1/tags", params={"prefix": prefix})
            times.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=1)
    arguments = parser.parse_args()
    rng = random.Random(16)
    with tempfile.TemporaryDirectory() as folder:
        data_dir = init_data(Path(folder) / "data")
        csv_file = Path(folder) / "tags.csv"
        write_csv(csv_file, arguments.tags, rng)
        started = time.perf_counter()
        subprocess.run(
            [GAZE, "tags", "import", str(csv_file), "--data-dir", str(data_dir)],
            env=gaze_env(data_dir),
            check=True,
        )
        print(
            f"gaze tags import of {arguments.tags:,} lines: {time.perf_counter() - started:.1f} s"
        )
        prefixes = [
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 4)))
            for _ in range(arguments.requests)
        ]
        with running_server(data_dir) as server:
            timed_requests(server.url, server.headers, prefixes[:50])  # warm up
            shares = [prefixes[index :: arguments.clients] for index in range(arguments.clients)]
            assert server.process is not None
            cpu_before = cpu_seconds(server.process.pid)
            started = time.perf_counter()
            with ThreadPoolExecutor(arguments.clients) as pool:
                runs = pool.map(
                    lambda share: timed_requests(server.url, server.headers, share), shares
                )
                found = [milliseconds for run in runs for milliseconds in run]
            seconds = time.perf_counter() - started
            cpu_ms = (cpu_seconds(server.process.pid) - cpu_before) * 1000 / len(prefixes)
    ordered = sorted(found)
    p50, p99 = percentile(ordered, 0.5), percentile(ordered, 0.99)
    print(
        f"GET /api/v1/tags?prefix=<1-4 letters>, {arguments.clients} client(s): "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {len(found) / seconds:.0f} requests/s, "
        f"server CPU {cpu_ms:.2f} ms per request"
    )
    print(f"target: p99 under {TARGET_P99_MS:.0f} ms; ratio {p99 / TARGET_P99_MS:.2f}")


if __name__ == "__main__":
    main()
