"""Peak memory (RSS) of `gaze serve`: idle after start, and during and after a job.

.venv/bin/python bench/server_memory.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import init_data, running_server


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(init_data(Path(tmp) / "data")) as server,
    ):
        time.sleep(2)
        idle = server.memory_mib()
        peak_during = 0.0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak_during
            while not stop.wait(0.05):
                peak_during = max(peak_during, server.memory_mib())

        sampler = threading.Thread(target=sample)
        sampler.start()
        jobs = server.post("/api/v1/generate/example_01", json={"count": 2, "seed": 5}).json()
        for job in jobs["jobs"]:
            server.wait_for_job(job["job_id"])
        stop.set()
        sampler.join()
        after = server.memory_mib()
        high_water = server.memory_mib("VmHWM")
    print(f"gaze serve idle RSS        : {idle:7.1f} MiB")
    print(f"peak RSS during 2 jobs     : {peak_during:7.1f} MiB")
    print(f"RSS after the jobs         : {after:7.1f} MiB")
    print(f"process high-water mark    : {high_water:7.1f} MiB")


if __name__ == "__main__":
    main()
