"""BackendPool over several stand-in ComfyUI servers (and one in-process engine)."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from PIL import Image

from gaze.engines.base import (
    BackendHealth,
    BackendUnavailable,
    CancelToken,
    EngineCapabilities,
    GenerationResult,
    ModelNotFound,
    ProgressCallback,
)
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.engines.pool import BackendPool, NoBackendAvailable, NoBackendHasModels
from gaze.generation_spec import GenerationSpec, LoraSpec
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory
from tests.support.template_examples import text_to_image_template, with_template

SD15 = "sd15/base.safetensors"
SDXL = "sdxl/illustrious.safetensors"
INK = "style/ink.safetensors"


def spec(checkpoint: str = SD15, seed: int = 1, steps: int = 2) -> GenerationSpec:
    return GenerationSpec("p", "n", checkpoint, width=64, height=64, steps=steps, seed=seed)


def engine(standin: ComfyUIStandIn, **options: Any) -> ComfyUIEngine:
    options.setdefault("connect_timeout", 0.5)
    options.setdefault("request_timeout", 2.0)
    return ComfyUIEngine(standin.url, **options)


def run(pool: BackendPool, job_spec: GenerationSpec) -> GenerationResult:
    return pool.run_with_failover(job_spec, lambda fraction: None, CancelToken())


class LocalEngine:
    """An in-process engine: always up, runs no custom workflows."""

    name = "local"
    capabilities = EngineCapabilities()

    def health(self) -> BackendHealth:
        return BackendHealth(up=True, queue_remaining=None, detail="")

    def checkpoints(self) -> list[str]:
        return [SD15]

    def loras(self) -> list[str]:
        return []

    def vaes(self) -> list[str]:
        return []

    def upscale_models(self) -> list[str]:
        return []

    def samplers(self) -> list[str]:
        return ["euler"]

    def schedulers(self) -> list[str]:
        return ["normal"]

    def generate(
        self, spec: GenerationSpec, on_progress: ProgressCallback, cancel: CancelToken
    ) -> GenerationResult:
        on_progress(1.0)
        return GenerationResult(Image.new("RGB", (spec.width, spec.height)), self.name)


def test_leases_prefer_the_backend_that_last_ran_the_checkpoint(
    standin_factory: StandInFactory,
) -> None:
    first, second = standin_factory(), standin_factory()
    with BackendPool([engine(first), engine(second)], health_interval=60) as pool:
        assert run(pool, spec(SD15)).backend == first.url
        assert run(pool, spec(SDXL)).backend == second.url  # the idle-longest one
        for seed in range(2, 5):
            assert run(pool, spec(SD15, seed)).backend == first.url
            assert run(pool, spec(SDXL, seed)).backend == second.url
        states = {state.name: state for state in pool.snapshot()}
    assert states[first.url].current_checkpoint == SD15
    assert states[second.url].current_checkpoint == SDXL
    assert first.stats().checkpoint_loads == 1
    assert second.stats().checkpoint_loads == 1


def test_a_busy_affine_backend_does_not_block_an_idle_one(
    standin_factory: StandInFactory,
) -> None:
    first, second = standin_factory(), standin_factory()
    with BackendPool([engine(first), engine(second)], health_interval=60) as pool:
        run(pool, spec(SD15))
        with pool.lease(spec(SD15)) as held:
            assert held.name == first.url
            with pool.lease(spec(SD15), timeout=1) as other:
                assert other.name == second.url


def test_a_down_backend_is_skipped(standin_factory: StandInFactory, closed_port_url: str) -> None:
    live = standin_factory()
    dead = ComfyUIEngine(closed_port_url, connect_timeout=0.3)
    with BackendPool([dead, engine(live)], health_interval=60) as pool:
        states = {state.name: state for state in pool.snapshot()}
        assert not states[closed_port_url].up
        assert "cannot reach" in states[closed_port_url].detail
        assert states[live.url].up and states[live.url].queue_remaining == 0
        for seed in range(4):
            assert run(pool, spec(seed=seed)).backend == live.url


def test_no_backend_up_fails_at_once(closed_port_url: str) -> None:
    with BackendPool([ComfyUIEngine(closed_port_url, connect_timeout=0.3)]) as pool:
        started = time.monotonic()
        with pytest.raises(NoBackendAvailable, match="no backend is up"):
            run(pool, spec())
        assert time.monotonic() - started < 0.5


def test_a_backend_coming_back_is_noticed_by_the_periodic_check(
    standin_factory: StandInFactory,
) -> None:
    comfy = standin_factory()
    comfy.stop()
    with BackendPool([engine(comfy, connect_timeout=0.2)], health_interval=0.1) as pool:
        assert not pool.snapshot()[0].up
        comfy.start()  # same port, like a restarted ComfyUI
        deadline = time.monotonic() + 5
        while not pool.snapshot()[0].up:
            assert time.monotonic() < deadline, "backend not rechecked"
            time.sleep(0.05)
        assert run(pool, spec()).backend == comfy.url


def test_lease_waits_for_a_free_backend_then_gives_up(standin: ComfyUIStandIn) -> None:
    with BackendPool([engine(standin)], health_interval=60) as pool, pool.lease(spec()) as held:
        assert pool.snapshot()[0].busy
        started = time.monotonic()
        with (
            pytest.raises(NoBackendAvailable, match=r"within 0\.2 s"),
            pool.lease(spec(), timeout=0.2),
        ):
            pass
        assert 0.2 <= time.monotonic() - started < 1.0
    assert held.name == standin.url
    assert not pool.snapshot()[0].busy


def test_a_job_whose_backend_dies_is_retried_once_elsewhere(
    standin_factory: StandInFactory,
) -> None:
    doomed = standin_factory(step_delay=0.02)
    spare = standin_factory(step_delay=0.02)
    fractions: list[float] = []
    killer: list[threading.Thread] = []

    def on_progress(fraction: float) -> None:
        fractions.append(fraction)
        if not killer:  # the backend dies during the first job it runs
            killer.append(threading.Thread(target=doomed.stop))
            killer[0].start()

    with BackendPool([engine(doomed), engine(spare)], health_interval=60) as pool:
        result = pool.run_with_failover(spec(steps=20), on_progress, CancelToken())
        states = {state.name: state for state in pool.snapshot()}
    killer[0].join()
    assert result.backend == spare.url
    assert result.info["failed_over_from"] == [doomed.url]
    assert not states[doomed.url].up
    assert all(b > a for a, b in itertools.pairwise(fractions))
    assert fractions[-1] == 1.0
    assert len(spare.stats().executed_prompts) == 1


def test_failover_happens_only_once(standin_factory: StandInFactory) -> None:
    stalled = [standin_factory(stall_at_step=1) for _ in range(3)]
    engines = [engine(comfy, timeout=0.3) for comfy in stalled]
    with BackendPool(engines, health_interval=60) as pool:
        with pytest.raises(BackendUnavailable, match="made no progress"):
            run(pool, spec())
        tried = [comfy for comfy in stalled if comfy.history()]
        assert len(tried) == 2
        assert sum(not state.up for state in pool.snapshot()) == 2


def test_concurrent_workers_never_share_a_backend(standin_factory: StandInFactory) -> None:
    backends = [standin_factory(step_delay=0.005) for _ in range(3)]
    errors: list[BaseException] = []
    results: list[GenerationResult] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for round_ in range(3):
            checkpoint = SD15 if (index + round_) % 2 else SDXL
            try:
                result = run(pool, spec(checkpoint, seed=index * 10 + round_, steps=4))
            except BaseException as error:
                with lock:
                    errors.append(error)
            else:
                with lock:
                    results.append(result)

    with BackendPool([engine(comfy) for comfy in backends], health_interval=60) as pool:
        workers = [threading.Thread(target=worker, args=(index,)) for index in range(6)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(30)
    assert errors == []
    assert len(results) == 18
    for comfy in backends:
        stats = comfy.stats()
        assert stats.max_queue_depth == 1  # one job at a time per backend
    assert sum(len(comfy.stats().executed_prompts) for comfy in backends) == 18


class BrokenHealthCheck(LocalEngine):
    name = "broken"

    def health(self) -> BackendHealth:
        raise RuntimeError("sensor unplugged")


def test_an_in_process_engine_is_up_beside_a_comfyui(standin: ComfyUIStandIn) -> None:
    local = LocalEngine()
    with BackendPool([local, engine(standin)], health_interval=60) as pool:
        states = {state.name: state for state in pool.snapshot()}
        assert states["local"].up and states["local"].queue_remaining is None
        with pool.lease(spec()) as first, pool.lease(spec()) as second:
            assert {first.name, second.name} == {"local", standin.url}
            assert all(state.busy for state in pool.snapshot())


def test_a_health_check_that_raises_counts_as_down(standin: ComfyUIStandIn) -> None:
    with BackendPool([BrokenHealthCheck(), engine(standin)], health_interval=60) as pool:
        states = {state.name: state for state in pool.snapshot()}
        assert not states["broken"].up
        assert states["broken"].detail == "health check: sensor unplugged"
        assert run(pool, spec()).backend == standin.url


def models(
    checkpoints: Sequence[str], loras: Sequence[str] = (), vae: Sequence[str] = ()
) -> dict[str, list[str]]:
    return {"checkpoints": list(checkpoints), "loras": list(loras), "vae": list(vae)}


def test_jobs_go_only_to_backends_that_have_their_models(
    standin_factory: StandInFactory,
) -> None:
    only_sd15 = standin_factory(models=models([SD15]))
    only_sdxl = standin_factory(models=models([SDXL]))
    with_ink = standin_factory(models=models([SD15, SDXL], [INK]))
    allowed = {
        SD15: {only_sd15.url, with_ink.url},
        SDXL: {only_sdxl.url, with_ink.url},
        INK: {with_ink.url},
    }
    jobs = [spec(SD15, seed) for seed in range(6)] + [spec(SDXL, seed) for seed in range(6)]
    jobs += [
        dataclasses.replace(spec(SD15, seed), loras=(LoraSpec(INK, 0.6, 0.6),)) for seed in range(4)
    ]
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    failovers: list[Any] = []

    def worker(indices: list[int]) -> None:
        for index in indices:
            try:
                result = run(pool, jobs[index])
                results[index] = result.backend
                failovers.extend(result.info.get("failed_over_from", []))
            except BaseException as error:
                errors.append(error)

    engines = [engine(comfy) for comfy in (only_sd15, only_sdxl, with_ink)]
    with BackendPool(engines, health_interval=60) as pool:
        threads = [
            threading.Thread(target=worker, args=(list(range(start, len(jobs), 3)),))
            for start in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert failovers == []  # chosen right the first time, not rescued by a retry
    for index, backend in results.items():
        need = INK if jobs[index].loras else jobs[index].checkpoint
        assert backend in allowed[need], (index, backend)
    assert len(results) == len(jobs)
    assert {results[index] for index in range(12, 16)} == {with_ink.url}


def test_a_spec_no_backend_can_run_fails_at_once_naming_why(
    standin_factory: StandInFactory, closed_port_url: str
) -> None:
    only_sd15 = standin_factory(models=models([SD15]))
    dead = ComfyUIEngine(closed_port_url, connect_timeout=0.3)
    with BackendPool([engine(only_sd15), dead], health_interval=60) as pool:
        started = time.monotonic()
        with pytest.raises(NoBackendHasModels) as raised:
            run(pool, spec(SDXL))
        assert time.monotonic() - started < 1.0
    message = str(raised.value)
    assert f"no backend that is up can run checkpoint {SDXL!r}" in message
    assert f"{only_sd15.url}: lacks checkpoint {SDXL!r}" in message
    assert f"{closed_port_url}: down" in message
    assert only_sd15.history() == {}


def test_a_model_added_to_a_backend_is_found_without_waiting_for_a_check(
    standin_factory: StandInFactory,
) -> None:
    comfy = standin_factory(models=models([SD15]))
    with BackendPool([engine(comfy, model_list_ttl=0)], health_interval=60) as pool:
        comfy.set_models(checkpoints=[SD15, SDXL])
        assert run(pool, spec(SDXL)).backend == comfy.url


def test_a_backend_whose_model_vanished_hands_the_job_to_one_that_has_it(
    standin_factory: StandInFactory,
) -> None:
    first = standin_factory(models=models([SD15, SDXL]))
    second = standin_factory(models=models([SD15, SDXL]))
    engines = [engine(first, model_list_ttl=60), engine(second, model_list_ttl=60)]
    with BackendPool(engines, health_interval=60) as pool:
        first.set_models(checkpoints=[SD15])  # gone, but GAZE's lists are fresh for a minute
        result = run(pool, spec(SDXL))
        assert result.backend == second.url
        assert result.info["failed_over_from"] == [first.url]
        states = {state.name: state for state in pool.snapshot()}
        assert states[first.url].up  # lacking a model is not being down
        assert run(pool, spec(SDXL, seed=2)).backend == second.url  # lists were re-read


def test_a_vanished_model_with_nowhere_else_to_go_is_model_not_found(
    standin_factory: StandInFactory,
) -> None:
    comfy = standin_factory(models=models([SD15, SDXL]))
    with BackendPool([engine(comfy, model_list_ttl=60)], health_interval=60) as pool:
        comfy.set_models(checkpoints=[SD15])
        with pytest.raises(
            ModelNotFound, match=r"node 4 \(CheckpointLoaderSimple\) input ckpt_name"
        ):
            run(pool, spec(SDXL))


def test_the_checkpoint_a_backend_ran_last_before_gaze_started_counts_for_affinity(
    standin_factory: StandInFactory,
) -> None:
    first, second = standin_factory(), standin_factory()
    # someone used both ComfyUIs directly: each last loaded another checkpoint
    engine(first).generate(spec(SDXL, seed=90), lambda _: None, CancelToken())
    engine(second).generate(spec(SD15, seed=91), lambda _: None, CancelToken())
    with BackendPool([engine(first), engine(second)], health_interval=60) as pool:
        states = {state.name: state for state in pool.snapshot()}
        assert states[first.url].current_checkpoint == SDXL
        assert states[second.url].current_checkpoint == SD15
        for seed in range(3):
            assert run(pool, spec(SD15, seed)).backend == second.url
            assert run(pool, spec(SDXL, seed)).backend == first.url
    assert first.stats().checkpoint_loads == 1
    assert second.stats().checkpoint_loads == 1


def test_a_custom_workflow_goes_to_a_backend_that_runs_templates(standin: ComfyUIStandIn) -> None:
    templated = with_template(spec(), text_to_image_template())
    with BackendPool([LocalEngine(), engine(standin)], health_interval=60) as pool:
        for _ in range(3):
            assert run(pool, templated).backend == standin.url
    with (
        BackendPool([LocalEngine()], health_interval=60) as pool,
        pytest.raises(NoBackendHasModels, match="local: lacks support for custom ComfyUI"),
    ):
        run(pool, templated)


def test_on_lease_is_told_each_backend_including_a_failover(
    standin_factory: StandInFactory,
) -> None:
    first = standin_factory(models=models([SD15, SDXL]))
    second = standin_factory(models=models([SD15, SDXL]))
    leased: list[str] = []
    with BackendPool(
        [engine(first, model_list_ttl=60), engine(second, model_list_ttl=60)], health_interval=60
    ) as pool:
        first.set_models(checkpoints=[SD15])
        pool.run_with_failover(
            spec(SDXL), lambda _: None, CancelToken(), on_lease=lambda e: leased.append(e.name)
        )
    assert leased == [first.url, second.url]
