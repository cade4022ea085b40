"""What the ComfyUIEngine tests run: specs, progress logs, jobs on threads, the stand-in's state."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from PIL import ImageChops

from gaze.engines.base import CancelToken, GenerationResult
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.generation_spec import GenerationSpec
from tests.comfyui_standin import ComfyUIStandIn, expected_image


def spec(**changes: Any) -> GenerationSpec:
    values: dict[str, Any] = {
        "positive": "a lighthouse",
        "negative": "blurry",
        "checkpoint": "sd15/base.safetensors",
        "width": 256,
        "height": 192,
        "steps": 8,
        "seed": 31337,
    }
    values.update(changes)
    return GenerationSpec(**values)


class ProgressLog:
    def __init__(self) -> None:
        self.fractions: list[float] = []
        self.first = threading.Event()

    def __call__(self, fraction: float) -> None:
        self.fractions.append(fraction)
        self.first.set()

    def assert_monotonic_to_one(self) -> None:
        assert self.fractions, "no progress reported"
        assert all(b > a for a, b in itertools.pairwise(self.fractions))
        assert all(0.0 < f <= 1.0 for f in self.fractions)
        assert self.fractions[-1] == 1.0


def same_pixels(result: GenerationResult, seed: int, width: int, height: int) -> bool:
    expected = expected_image(seed, width, height)
    actual = result.image.convert("RGB")
    return (
        actual.size == expected.size and ImageChops.difference(actual, expected).getbbox() is None
    )


def state(standin: ComfyUIStandIn) -> dict[str, Any]:
    return httpx.get(f"{standin.url}/_standin/state", trust_env=False).json()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class Job:
    """A generate() running on its own thread, as GAZE's workers run it."""

    def __init__(self, engine: ComfyUIEngine, job_spec: GenerationSpec) -> None:
        self.progress = ProgressLog()
        self.cancel = CancelToken()
        self.result: GenerationResult | None = None
        self.error: BaseException | None = None
        self.ended_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(engine, job_spec), daemon=True)
        self._thread.start()

    def _run(self, engine: ComfyUIEngine, job_spec: GenerationSpec) -> None:
        try:
            self.result = engine.generate(job_spec, self.progress, self.cancel)
        except BaseException as error:
            self.error = error
        self.ended_at = time.monotonic()

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "generate() did not return"
