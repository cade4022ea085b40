"""ComfyUIEngine against real stand-in servers over real sockets."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from gaze.engines.base import (
    BackendUnavailable,
    CancelToken,
    EngineCapabilities,
    EngineError,
    GenerationCancelled,
    ModelNotFound,
)
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.generation_spec import LoraSpec
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory
from tests.comfyui_standin.node_catalog import SAMPLER_NAMES as STANDIN_SAMPLERS
from tests.comfyui_standin.node_catalog import SCHEDULER_NAMES as STANDIN_SCHEDULERS
from tests.engines.comfyui.engine_jobs import Job, ProgressLog, same_pixels, spec, state, wait_until

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# -- success ----------------------------------------------------------------------------


def test_declares_custom_workflows_and_comfyui_weighting_only() -> None:
    capabilities = ComfyUIEngine("http://127.0.0.1:1").capabilities
    assert capabilities == EngineCapabilities(
        prompt_weightings=("comfyui",), runs_workflow_templates=True
    )


def test_lists_the_samplers_and_schedulers_of_the_servers_ksampler(
    standin: ComfyUIStandIn,
) -> None:
    engine = ComfyUIEngine(standin.url)
    assert engine.samplers() == list(STANDIN_SAMPLERS)
    assert engine.schedulers() == list(STANDIN_SCHEDULERS)


def test_generates_the_image_with_monotonic_progress(standin: ComfyUIStandIn) -> None:
    engine = ComfyUIEngine(standin.url)
    job_spec = spec(loras=(LoraSpec("detail.safetensors", 0.8, 0.4),), clip_skip=2)
    progress = ProgressLog()
    result = engine.generate(job_spec, progress, CancelToken())

    progress.assert_monotonic_to_one()
    assert len(progress.fractions) == job_spec.steps + 1  # one per step, then 1.0
    assert result.backend == standin.url
    assert same_pixels(result, job_spec.seed, job_spec.width, job_spec.height)
    assert UUID4.match(result.info["prompt_id"])
    assert result.info["completed_via"] == "websocket"
    entry = standin.history()[result.info["prompt_id"]]
    assert entry["status"]["status_str"] == "success"
    sent = entry["prompt"][2]
    assert sent["20"]["inputs"]["lora_name"] == "detail.safetensors"
    assert sent["10"]["inputs"]["stop_at_clip_layer"] == -2


def test_an_identical_prompt_is_served_from_comfyui_cache(standin: ComfyUIStandIn) -> None:
    engine = ComfyUIEngine(standin.url)
    engine.generate(spec(), ProgressLog(), CancelToken())
    again = ProgressLog()
    result = engine.generate(spec(), again, CancelToken())
    assert again.fractions == [1.0]  # nothing re-ran, still finished
    assert same_pixels(result, 31337, 256, 192)


def test_progress_stays_monotonic_across_two_samplers(standin: ComfyUIStandIn) -> None:
    two_pass = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{checkpoint}}"}},
        "5": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative}}", "clip": ["4", 1]}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["4", 0],
                "seed": "{{seed}}",
                "steps": "{{steps}}",
                "cfg": "{{cfg}}",
                "sampler_name": "{{sampler}}",
                "scheduler": "{{scheduler}}",
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
                "denoise": 1.0,
            },
        },
        "12": {
            "class_type": "KSamplerAdvanced",
            "inputs": {
                "model": ["4", 0],
                "add_noise": "disable",
                "noise_seed": 0,
                "steps": 20,
                "cfg": "{{cfg}}",
                "sampler_name": "euler",
                "scheduler": "normal",
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["3", 0],
                "start_at_step": 14,
                "end_at_step": 20,
                "return_with_leftover_noise": "disable",
            },
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["12", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "hr", "images": ["8", 0]}},
    }
    engine = ComfyUIEngine(standin.url, workflow_template=two_pass)
    progress = ProgressLog()
    result = engine.generate(spec(steps=10), progress, CancelToken())
    progress.assert_monotonic_to_one()
    assert len(progress.fractions) == 10 + 6 + 1
    # Shares by steps run, as the embedded engine weighs its passes: 10 of 10 + 6.
    assert progress.fractions[9] == pytest.approx(10 / 16)
    assert same_pixels(result, 31337, 256, 192)


def test_noise_on_the_websocket_is_ignored(standin_factory: StandInFactory) -> None:
    standin = standin_factory(garbage_frames=True, preview_every=2)
    progress = ProgressLog()
    result = ComfyUIEngine(standin.url).generate(spec(), progress, CancelToken())
    progress.assert_monotonic_to_one()
    assert same_pixels(result, 31337, 256, 192)


def test_model_names_follow_the_servers_spelling(standin_factory: StandInFactory) -> None:
    standin = standin_factory(models={"checkpoints": ["sdxl\\illustrious.safetensors"]})
    engine = ComfyUIEngine(standin.url)
    assert engine.checkpoints() == ["sdxl/illustrious.safetensors"]
    result = engine.generate(
        spec(checkpoint="sdxl/illustrious.safetensors"), ProgressLog(), CancelToken()
    )
    sent = standin.history()[result.info["prompt_id"]]["prompt"][2]
    assert sent["4"]["inputs"]["ckpt_name"] == "sdxl\\illustrious.safetensors"


# -- rejections and failures -------------------------------------------------------------


def test_missing_models_are_found_before_queueing(standin: ComfyUIStandIn) -> None:
    engine = ComfyUIEngine(standin.url)
    wrong = spec(
        checkpoint="nope.safetensors",
        loras=(LoraSpec("detail.safetensors"), LoraSpec("gone.safetensors")),
        vae="other_vae.safetensors",
    )
    with pytest.raises(ModelNotFound) as raised:
        engine.generate(wrong, ProgressLog(), CancelToken())
    assert str(raised.value) == (
        f"ComfyUI at {standin.url} does not have checkpoint 'nope.safetensors', "
        "LoRA 'gone.safetensors', VAE 'other_vae.safetensors'"
    )
    assert standin.history() == {}  # nothing was queued
    assert same_pixels(engine.generate(spec(), ProgressLog(), CancelToken()), 31337, 256, 192)


def test_validation_error_names_node_input_and_value(standin: ComfyUIStandIn) -> None:
    engine = ComfyUIEngine(standin.url)
    with pytest.raises(EngineError) as raised:
        engine.generate(spec(sampler="euler_fast"), ProgressLog(), CancelToken())
    assert str(raised.value) == (
        "ComfyUI rejected the workflow: node 3 (KSampler) input sampler_name: "
        "value not in list: 'euler_fast'"
    )


def test_a_model_removed_since_the_preflight_is_reported_as_model_not_found(
    standin: ComfyUIStandIn,
) -> None:
    engine = ComfyUIEngine(standin.url)
    engine.generate(spec(steps=1), ProgressLog(), CancelToken())  # model lists now cached
    standin.models["checkpoints"].remove("sd15/base.safetensors")
    with pytest.raises(ModelNotFound) as raised:
        engine.generate(spec(seed=1), ProgressLog(), CancelToken())
    assert str(raised.value) == (
        "ComfyUI rejected the workflow: node 4 (CheckpointLoaderSimple) input ckpt_name: "
        "value not in list: 'sd15/base.safetensors'"
    )


def test_execution_error_names_the_node_and_exception(standin_factory: StandInFactory) -> None:
    standin = standin_factory(fail_on_node="KSampler", fail_message="CUDA out of memory")
    with pytest.raises(EngineError) as raised:
        ComfyUIEngine(standin.url).generate(spec(), ProgressLog(), CancelToken())
    assert not isinstance(raised.value, BackendUnavailable)
    assert str(raised.value) == (
        "ComfyUI failed at node 3 (KSampler): RuntimeError: CUDA out of memory"
    )


def test_an_interrupt_from_someone_else_is_an_error_not_a_cancel(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(step_delay=0.02)
    job = Job(ComfyUIEngine(standin.url), spec(steps=50))
    assert job.progress.first.wait(5)
    httpx.post(f"{standin.url}/interrupt", trust_env=False)  # ComfyUI's Cancel button
    job.join()
    assert isinstance(job.error, EngineError)
    assert not isinstance(job.error, GenerationCancelled)
    assert "interrupted the prompt at node 3 (KSampler)" in str(job.error)


# -- lost connections, dead and hanging backends ----------------------------------------


def test_websocket_drop_mid_job_is_recovered_through_history(
    standin_factory: StandInFactory,
) -> None:
    # The socket drops at step 3 and reconnects are refused until the job has finished,
    # so the end can only be learnt from /history.
    standin = standin_factory(step_delay=0.02, drop_websocket_at_step=3, websocket_outage=0.6)
    progress = ProgressLog()
    result = ComfyUIEngine(standin.url).generate(spec(steps=10), progress, CancelToken())
    returned = time.monotonic()
    assert result.info["completed_via"] == "history"
    # noticed promptly by polling /history while the socket is down, not after a long lull
    assert returned - standin.stats().completed_at[result.info["prompt_id"]] < 0.5
    assert same_pixels(result, 31337, 256, 192)
    progress.assert_monotonic_to_one()
    assert progress.fractions[:-1] == [0.1, 0.2, 0.3]


def test_websocket_drop_with_quick_reconnect_keeps_following_live(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(step_delay=0.03, drop_websocket_at_step=2)
    progress = ProgressLog()
    result = ComfyUIEngine(standin.url).generate(spec(steps=20), progress, CancelToken())
    progress.assert_monotonic_to_one()
    assert len(progress.fractions) > 10  # later steps were seen live after reconnecting
    assert same_pixels(result, 31337, 256, 192)


def test_a_backend_that_is_down_fails_fast(closed_port_url: str) -> None:
    engine = ComfyUIEngine(closed_port_url)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="cannot reach ComfyUI at"):
        engine.generate(spec(), ProgressLog(), CancelToken())
    assert time.monotonic() - started < 1.0
    health = engine.health()
    assert not health.up and health.queue_remaining is None
    with pytest.raises(BackendUnavailable):
        engine.checkpoints()


def test_a_hanging_backend_times_out(standin_factory: StandInFactory) -> None:
    standin = standin_factory(hang=True)
    engine = ComfyUIEngine(standin.url, connect_timeout=0.4, request_timeout=0.4)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        engine.generate(spec(), ProgressLog(), CancelToken())
    assert time.monotonic() - started < 2.0
    started = time.monotonic()
    assert not engine.health().up
    assert time.monotonic() - started < 2.0


def test_a_stalled_prompt_hits_the_no_progress_timeout_and_is_interrupted(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(stall_at_step=3)
    engine = ComfyUIEngine(standin.url, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"made no progress .* for 0\.5 s"):
        engine.generate(spec(), ProgressLog(), CancelToken())
    assert time.monotonic() - started < 2.5
    wait_until(lambda: len(standin.stats().interrupted_prompts) == 1)  # not left running


def test_a_backend_talking_nonsense_is_unavailable(standin_factory: StandInFactory) -> None:
    standin = standin_factory(garbage_http=True)
    engine = ComfyUIEngine(standin.url)
    with pytest.raises(BackendUnavailable, match="not JSON"):
        engine.generate(spec(), ProgressLog(), CancelToken())
    assert not engine.health().up


def test_health_reports_the_queue(standin: ComfyUIStandIn) -> None:
    health = ComfyUIEngine(standin.url).health()
    assert health.up and health.queue_remaining == 0
    assert "ComfyUI" in health.detail


def test_health_reports_the_checkpoint_the_server_ran_last(standin_factory: StandInFactory) -> None:
    standin = standin_factory(
        models={"checkpoints": ["sd15/base.safetensors", "sdxl\\illustrious.safetensors"]}
    )
    engine = ComfyUIEngine(standin.url)
    assert engine.health().last_checkpoint is None  # nothing ran since it started
    engine.generate(spec(checkpoint="sdxl/illustrious.safetensors"), ProgressLog(), CancelToken())
    assert engine.health().last_checkpoint == "sdxl/illustrious.safetensors"
    engine.generate(spec(), ProgressLog(), CancelToken())
    assert engine.health().last_checkpoint == "sd15/base.safetensors"


def test_a_server_that_could_not_be_reached_is_not_waited_on_again(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(hang=True)
    engine = ComfyUIEngine(standin.url, connect_timeout=0.3, request_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        engine.checkpoints()
    assert 0.3 <= time.monotonic() - started < 1.5
    standin.set_behaviour(hang=False)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        engine.loras()  # remembered: no second wait
    with pytest.raises(BackendUnavailable):
        engine.generate(spec(), ProgressLog(), CancelToken())
    assert time.monotonic() - started < 0.2
    assert engine.health().up  # a passing check clears the memory at once
    assert "sd15/base.safetensors" in engine.checkpoints()


# -- cancelling -------------------------------------------------------------------------


def test_cancel_before_start_queues_nothing(standin: ComfyUIStandIn) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(GenerationCancelled):
        ComfyUIEngine(standin.url).generate(spec(), ProgressLog(), cancel)
    assert standin.history() == {}


def test_interrupting_a_running_prompt_stops_only_that_prompt(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(step_delay=0.02)
    first = Job(ComfyUIEngine(standin.url), spec(steps=50))
    assert first.progress.first.wait(5)
    second = Job(ComfyUIEngine(standin.url), spec(steps=5, seed=7))
    wait_until(lambda: len(state(standin)["pending"]) == 1)

    cancelled_at = time.monotonic()
    first.cancel.cancel()
    first.join()
    second.join()

    assert isinstance(first.error, GenerationCancelled)
    assert first.ended_at - cancelled_at < 0.5
    assert second.error is None and second.result is not None
    assert same_pixels(second.result, 7, 256, 192)
    stats = standin.stats()
    assert len(stats.interrupted_prompts) == 1
    assert stats.executed_prompts == [second.result.info["prompt_id"]]


def test_cancelling_a_pending_prompt_removes_it_from_the_queue(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(step_delay=0.02)
    running = Job(ComfyUIEngine(standin.url), spec(steps=40))
    assert running.progress.first.wait(5)
    pending = Job(ComfyUIEngine(standin.url), spec(steps=5, seed=7))
    wait_until(lambda: len(state(standin)["pending"]) == 1)
    pending_id = state(standin)["pending"][0]

    cancelled_at = time.monotonic()
    pending.cancel.cancel()
    pending.join()
    assert isinstance(pending.error, GenerationCancelled)
    assert pending.ended_at - cancelled_at < 0.5
    assert state(standin)["pending"] == []

    running.join()
    assert running.error is None and running.result is not None
    stats = standin.stats()
    assert stats.deleted_prompts == [pending_id]
    assert stats.interrupted_prompts == []
    assert stats.executed_prompts == [running.result.info["prompt_id"]]
