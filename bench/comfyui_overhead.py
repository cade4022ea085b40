"""Overhead of ComfyUIEngine.generate over talking to ComfyUI directly.

The same ~1 s job (20 steps x 50 ms on a stand-in ComfyUI process) is run alternately:

* raw:    a minimal protocol client, connections kept open across jobs -- submit, read
          frames until the prompt's ``executing: null``, GET /view, decode the PNG;
* engine: ComfyUIEngine.generate, as a GAZE worker calls it (fresh event loop, HTTP
          client and websocket per job, model preflight, progress, image decoding).

Prints mean/median per job, the ratio engine/raw (target <= 1.05), and the latency from
the backend writing the prompt's history entry to generate() returning.

    .venv/bin/python bench/comfyui_overhead.py [--jobs 8] [--steps 20] [--step-delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.standin_process import standin_processes
from gaze.engines.base import CancelToken
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.engines.comfyui.workflow import build_workflow
from gaze.generation_spec import GenerationSpec


def job_spec(seed: int, steps: int) -> GenerationSpec:
    return GenerationSpec(
        "a lighthouse at dusk", "blurry", "sd15/base.safetensors", steps=steps, seed=seed
    )


class RawClient:
    """The least a client can do per job, with connections already open."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client_id = uuid.uuid4().hex
        self.http: httpx.AsyncClient | None = None
        self.socket: ClientConnection | None = None

    async def open(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=30)
        ws_url = self.url.replace("http://", "ws://") + f"/ws?clientId={self.client_id}"
        self.socket = await connect(ws_url, proxy=None, max_size=None)

    async def close(self) -> None:
        assert self.http is not None and self.socket is not None
        await self.socket.close()
        await self.http.aclose()

    async def run(self, graph: dict) -> Image.Image:
        assert self.http is not None and self.socket is not None
        prompt_id = str(uuid.uuid4())
        body = {"prompt": graph, "client_id": self.client_id, "prompt_id": prompt_id}
        (await self.http.post("/prompt", json=body)).raise_for_status()
        image_ref = None
        while True:
            frame = await self.socket.recv()
            if isinstance(frame, bytes):
                continue
            message = json.loads(frame)
            data = message["data"]
            if data.get("prompt_id") != prompt_id:
                continue
            if message["type"] == "executed":
                image_ref = data["output"]["images"][0]
            if message["type"] == "executing" and data["node"] is None:
                break
        assert image_ref is not None
        response = await self.http.get("/view", params=image_ref)
        image = Image.open(io.BytesIO(response.content))
        image.load()
        return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--step-delay", type=float, default=0.05)
    args = parser.parse_args()

    with standin_processes(1, step_delay=args.step_delay) as [standin]:
        engine = ComfyUIEngine(standin.url)
        raw = RawClient(standin.url)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(raw.open())

        # warm up both paths (checkpoint "load", model lists, imports)
        loop.run_until_complete(raw.run(build_workflow(job_spec(10**6, 1))))
        engine.generate(job_spec(10**6 + 1, 1), lambda _: None, CancelToken())

        raw_times: list[float] = []
        engine_times: list[float] = []
        completion_to_return: list[float] = []
        for index in range(args.jobs):
            graph = build_workflow(job_spec(2 * index, args.steps))
            started = time.perf_counter()
            loop.run_until_complete(raw.run(graph))
            raw_times.append(time.perf_counter() - started)

            started = time.perf_counter()
            result = engine.generate(
                job_spec(2 * index + 1, args.steps), lambda _: None, CancelToken()
            )
            returned = time.monotonic()
            engine_times.append(time.perf_counter() - started)
            # the stand-in's time.monotonic(): one clock for every process on Linux
            completed = standin.state()["completed_at"][result.info["prompt_id"]]
            completion_to_return.append(returned - completed)
        loop.run_until_complete(raw.close())
        loop.close()

    sampling = args.steps * args.step_delay
    raw_mean, engine_mean = statistics.mean(raw_times), statistics.mean(engine_times)
    print(f"jobs: {args.jobs} each way, sampling {args.steps} x {args.step_delay * 1000:.0f} ms")
    print(f"  = {sampling:.2f} s of backend work per job")
    print(
        f"raw protocol client : mean {raw_mean * 1000:7.1f} ms   "
        f"median {statistics.median(raw_times) * 1000:7.1f} ms"
    )
    print(
        f"ComfyUIEngine       : mean {engine_mean * 1000:7.1f} ms   "
        f"median {statistics.median(engine_times) * 1000:7.1f} ms"
    )
    print(f"ratio engine / raw  : {engine_mean / raw_mean:.3f}   (target <= 1.05)")
    print(f"engine overhead     : {(engine_mean - raw_mean) * 1000:+.1f} ms per job")
    print(
        "backend completion -> generate() returned: "
        f"mean {statistics.mean(completion_to_return) * 1000:.1f} ms, "
        f"max {max(completion_to_return) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
