"""Queue pickup latency: from a job's creation to a worker starting it, on an idle server.

.venv/bin/python bench/queue_pickup.py [--jobs 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import init_data, running_server


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10)
    args = parser.parse_args()
    latencies: list[float] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(init_data(Path(tmp) / "data")) as server,
    ):
        for index in range(args.jobs):
            time.sleep(1.5)  # let the workers back off to their idle polling delay
            job = server.generate_and_wait(seed=index, width=64, height=64)
            latencies.append(
                (parse(job["started_at"]) - parse(job["created_at"])).total_seconds() * 1000
            )
    print(f"pickup latency over {len(latencies)} jobs on an idle server:")
    print(f"  median {statistics.median(latencies):6.1f} ms   max {max(latencies):6.1f} ms")


if __name__ == "__main__":
    main()
