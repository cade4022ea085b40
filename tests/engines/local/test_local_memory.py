"""Memory: a configurable LRU cache of loaded checkpoints, and recovery from running out of memory.

The out-of-memory test provokes a real allocation failure: a child process caps its own address
space (``RLIMIT_AS``) a little above what it uses after a first job, then asks for an image whose
first UNet activation needs more than that.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import shutil
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import pytest
import torch

from gaze.engines.base import CancelToken, EngineError
from gaze.engines.local.checkpoint_cache import default_cache_size
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.on_demand import OnDemandLocalEngine
from gaze.engines.local.out_of_memory import out_of_memory_cause
from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint
from gaze.engines.registry import build_engine
from gaze.generation_spec import GenerationSpec
from gaze.settings import Settings
from tests.engines.local.local_engine_constants import SD1_NAME, SDXL_NAME, TEST_THREADS

pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

SPEC = GenerationSpec(
    positive="a cat", negative="blurry", checkpoint=SD1_NAME, width=64, height=64, steps=1, seed=5
)
OTHER_NAME = "other-sd1.safetensors"


@pytest.fixture
def three_checkpoints(models_dir: Path, tmp_path: Path) -> Path:
    """A models folder of its own with the SD1 and SDXL checkpoints and one more SD1."""
    root = tmp_path / "models"
    for name in (SD1_NAME, SDXL_NAME):
        target = root / "checkpoints" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(models_dir / "checkpoints" / name, target)
    write_tiny_checkpoint(root / "checkpoints" / OTHER_NAME, "sd1", seed=3)
    return root


def _loaded_now(engine: LocalEngine, checkpoint: str) -> bool:
    spec = dataclasses.replace(SPEC, checkpoint=checkpoint)
    return bool(engine.generate(spec, lambda _: None, CancelToken()).info["loaded_checkpoint_now"])


def _names(engine: LocalEngine) -> list[str]:
    return [path.name for path in engine.loaded_checkpoints]


def test_cache_keeps_the_most_recently_used_checkpoints(
    three_checkpoints: Path, cache_dir: Path
) -> None:
    engine = LocalEngine(
        three_checkpoints, cache_dir, device="cpu", threads=TEST_THREADS, cache_size=2
    )
    assert engine.cache_size == 2
    assert _loaded_now(engine, SD1_NAME) is True
    assert _loaded_now(engine, SDXL_NAME) is True
    assert _loaded_now(engine, SD1_NAME) is False  # both fit
    assert _names(engine) == ["tiny-sdxl.safetensors", "sd1.safetensors"]
    assert _loaded_now(engine, OTHER_NAME) is True  # evicts SDXL, the least recently used
    assert _names(engine) == ["sd1.safetensors", OTHER_NAME]
    assert _loaded_now(engine, SD1_NAME) is False
    assert _loaded_now(engine, SDXL_NAME) is True  # evicts the other SD1
    assert _names(engine) == ["sd1.safetensors", "tiny-sdxl.safetensors"]


def test_an_evicted_checkpoint_is_freed(three_checkpoints: Path, cache_dir: Path) -> None:
    engine = LocalEngine(three_checkpoints, cache_dir, device="cpu", threads=TEST_THREADS)
    assert engine.cache_size == default_cache_size("cpu") == 1
    _loaded_now(engine, SD1_NAME)
    unet = weakref.ref(engine.pipeline.unet)
    assert _loaded_now(engine, OTHER_NAME) is True
    gc.collect()
    assert unet() is None
    assert _names(engine) == [OTHER_NAME]


def test_a_replaced_checkpoint_file_is_loaded_afresh(
    three_checkpoints: Path, cache_dir: Path
) -> None:
    engine = LocalEngine(
        three_checkpoints, cache_dir, device="cpu", threads=TEST_THREADS, cache_size=2
    )
    before = engine.generate(SPEC, lambda _: None, CancelToken()).image.tobytes()
    write_tiny_checkpoint(three_checkpoints / "checkpoints" / SD1_NAME, "sd1", seed=4)
    after = engine.generate(SPEC, lambda _: None, CancelToken())
    assert after.info["loaded_checkpoint_now"] is True
    assert after.image.tobytes() != before
    assert len(engine.loaded_checkpoints) == 1  # the stale entry is gone


def test_cache_size_setting_reaches_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZE_ENGINE_CACHE", "3")
    engine = build_engine("local", Settings(data_dir=tmp_path))
    assert isinstance(engine, OnDemandLocalEngine) and engine.engine().cache_size == 3
    monkeypatch.delenv("GAZE_ENGINE_CACHE")
    default = build_engine("local", Settings(data_dir=tmp_path, device="cpu"))
    assert isinstance(default, OnDemandLocalEngine) and default.engine().cache_size == 1
    assert default_cache_size("cuda") == 2
    with pytest.raises(ValueError, match="at least 1"):
        LocalEngine(tmp_path, tmp_path, device="cpu", cache_size=0)
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path, engine_cache=0)


def test_out_of_memory_errors_are_recognised_through_wrapping() -> None:
    cpu = RuntimeError(
        "[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory"
    )
    assert out_of_memory_cause(cpu) is cpu
    memory = MemoryError()
    assert out_of_memory_cause(memory) is memory
    cuda = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate")
    assert out_of_memory_cause(cuda) is cuda
    try:
        try:
            raise cpu
        except RuntimeError as error:
            raise EngineError("generation failed") from error
    except EngineError as wrapped:
        assert out_of_memory_cause(wrapped) is cpu
    assert out_of_memory_cause(RuntimeError("size mismatch for conv_in.weight")) is None
    assert out_of_memory_cause(EngineError("could not load LoRA x")) is None


_OUT_OF_MEMORY_JOB = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from gaze.engines.base import CancelToken, EngineError
    from gaze.engines.local.engine import LocalEngine
    from gaze.generation_spec import GenerationSpec

    models, cache, checkpoint, headroom = sys.argv[1:5]
    engine = LocalEngine(Path(models), Path(cache), device="cpu", threads=1)
    spec = GenerationSpec(positive="a cat", negative="blurry", checkpoint=checkpoint,
                          width=64, height=64, steps=2, seed=3)
    huge = GenerationSpec(positive="a cat", negative="blurry", checkpoint=checkpoint,
                          width=16384, height=16384, steps=2, seed=3)
    first = engine.generate(spec, lambda _: None, CancelToken())
    with open("/proc/self/status") as status:
        used = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    limit = used + int(headroom)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        engine.generate(huge, lambda _: None, CancelToken())
        failure = None
    except EngineError as error:
        failure = [type(error).__name__, str(error)]
    loaded_after_failure = len(engine.loaded_checkpoints)
    after = engine.generate(spec, lambda _: None, CancelToken())
    print(json.dumps({
        "failure": failure,
        "loaded_after_failure": loaded_after_failure,
        "same_pixels": after.image.tobytes() == first.image.tobytes(),
        "reloaded": after.info["loaded_checkpoint_now"],
    }))
    """
)


def test_running_out_of_memory_fails_the_job_and_the_engine_recovers(
    models_dir: Path, cache_dir: Path
) -> None:
    headroom = 512 * 1024 * 1024  # the huge image's first UNet activation alone needs 1 GiB
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _OUT_OF_MEMORY_JOB,
            str(models_dir),
            str(cache_dir),
            SD1_NAME,
            str(headroom),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["failure"] is not None, "the huge job did not run out of memory"
    kind, message = report["failure"]
    assert kind == "EngineOutOfMemory"
    assert "out of memory on cpu for a 16384x16384 image" in message
    assert "can't allocate memory" in message
    assert report["loaded_after_failure"] == 0
    assert report["reloaded"] is True
    assert report["same_pixels"] is True
