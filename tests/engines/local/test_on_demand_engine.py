"""The embedded engine as GAZE_BACKENDS builds it: listed without torch, loaded on its first job
(issue 18, part 3)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from gaze.engines.base import CancelToken, Engine
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.on_demand import OnDemandLocalEngine
from gaze.generation_spec import GenerationSpec
from tests.engines.local.local_engine_constants import SD1_NAME, SDXL_NAME, TEST_THREADS

SPEC = GenerationSpec(
    positive="a lighthouse at dusk",
    negative="blurry",
    checkpoint=SD1_NAME,
    width=64,
    height=64,
    steps=2,
    seed=77,
)


def _on_demand(models_dir: Path, cache_dir: Path) -> OnDemandLocalEngine:
    return OnDemandLocalEngine(models_dir, cache_dir, device="cpu", threads=TEST_THREADS)


def _run_python(code: str) -> dict[str, object]:
    """The JSON a fresh interpreter prints after running `code`."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_lists_and_declares_what_the_loaded_engine_does(
    engine: LocalEngine, models_dir: Path, cache_dir: Path
) -> None:
    on_demand = _on_demand(models_dir, cache_dir)
    typed: Engine = on_demand
    assert typed.name == engine.name
    assert on_demand.capabilities == engine.capabilities
    assert on_demand.health() == engine.health()
    assert on_demand.checkpoints() == engine.checkpoints()
    assert on_demand.loras() == engine.loras()
    assert on_demand.vaes() == engine.vaes() != []
    assert on_demand.upscale_models() == engine.upscale_models()
    assert on_demand.samplers() == engine.samplers()
    assert on_demand.schedulers() == engine.schedulers()
    assert not on_demand.loaded


def test_the_first_job_builds_the_engine_once_and_gives_its_pixels(
    engine: LocalEngine, models_dir: Path, cache_dir: Path
) -> None:
    on_demand = _on_demand(models_dir, cache_dir)
    result = on_demand.generate(SPEC, lambda _fraction: None, CancelToken())
    expected = engine.generate(SPEC, lambda _fraction: None, CancelToken())
    assert on_demand.loaded
    assert on_demand.engine() is on_demand.engine()
    assert on_demand.engine().threads == TEST_THREADS
    assert np.array_equal(np.asarray(result.image), np.asarray(expected.image))
    assert result.backend == "local"


def test_the_registry_lists_the_embedded_backend_without_importing_torch(
    models_dir: Path, tmp_path: Path
) -> None:
    answer = _run_python(
        f"""
        import json, sys
        from gaze.engines.registry import build_engines
        from gaze.settings import Settings

        settings = Settings(data_dir={str(tmp_path)!r}, models_dir={str(models_dir)!r},
                            backends="local")
        (engine,) = build_engines(settings)
        listed = [engine.checkpoints(), engine.samplers(), engine.health().up]
        heavy = sorted(name for name in sys.modules
                       if name.partition(".")[0] in ("torch", "diffusers", "transformers"))
        print(json.dumps({{"listed": listed, "heavy": heavy}}))
        """
    )
    checkpoints, samplers, up = answer["listed"]  # type: ignore[misc]
    assert checkpoints == sorted([SD1_NAME, SDXL_NAME])
    assert "dpmpp_2m" in samplers and up is True
    assert answer["heavy"] == []


def test_a_job_without_torch_installed_fails_with_the_pip_command(
    models_dir: Path, tmp_path: Path
) -> None:
    answer = _run_python(
        f"""
        import json, sys
        sys.modules["torch"] = None
        from gaze.engines.base import CancelToken, EngineError
        from gaze.engines.local.on_demand import OnDemandLocalEngine
        from gaze.generation_spec import GenerationSpec

        engine = OnDemandLocalEngine({str(models_dir)!r}, {str(tmp_path)!r})
        spec = GenerationSpec(positive="a cat", negative="", checkpoint={SD1_NAME!r})
        try:
            engine.generate(spec, lambda fraction: None, CancelToken())
        except EngineError as error:
            print(json.dumps({{"error": str(error), "listed": engine.checkpoints()}}))
        """
    )
    assert "pip install 'gaze[local]'" in str(answer["error"])
    assert SD1_NAME in answer["listed"]  # type: ignore[operator]
