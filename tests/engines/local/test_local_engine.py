"""LocalEngine end to end on tiny real checkpoints: reproducibility, progress, cancel, reuse."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gaze.engines.base import (
    CancelToken,
    Engine,
    EngineCapabilities,
    EngineError,
    GenerationCancelled,
    ModelNotFound,
)
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.image_sampling import model_sampling_of, sample_image
from gaze.engines.local.prompt_encoding import encode_prompts
from gaze.engines.local.tiny_checkpoint import tiny_models
from gaze.generation_spec import GenerationSpec, LoraSpec
from gaze.sampling.names import COMFYUI_SAMPLER_ORDER, SCHEDULER_NAMES
from tests.engines.local.local_engine_constants import (
    SD1_NAME,
    SDXL_NAME,
    TEST_THREADS,
    TINY_VAE_NAME,
    VAE_SEED,
)

SPEC = GenerationSpec(
    positive="a photo of a cat",
    negative="blurry",
    checkpoint=SD1_NAME,
    width=64,
    height=64,
    steps=3,
    cfg=6.5,
    seed=1234,
)


def _generate(engine: LocalEngine, spec: GenerationSpec, progress: list[float] | None = None):
    sink: list[float] = [] if progress is None else progress
    return engine.generate(spec, sink.append, CancelToken())


def _pixels(image: Image.Image) -> bytes:
    return image.tobytes()


def test_engine_satisfies_the_protocol(engine: LocalEngine) -> None:
    typed: Engine = engine
    assert typed.name == "local"


def test_engine_declares_what_it_runs_and_is_always_up(engine: LocalEngine) -> None:
    assert engine.capabilities == EngineCapabilities(prompt_weightings=("comfyui", "a1111"))
    assert engine.samplers() == list(COMFYUI_SAMPLER_ORDER)
    assert engine.schedulers() == list(SCHEDULER_NAMES)
    assert not engine.capabilities.runs_workflow_templates
    health = engine.health()
    assert health.up and health.queue_remaining is None and health.last_checkpoint is None


def test_lists_checkpoints_and_loras_as_relative_posix_paths(
    engine: LocalEngine, models_dir: Path
) -> None:
    assert engine.checkpoints() == sorted([SD1_NAME, SDXL_NAME])
    assert engine.loras() == []
    lora = models_dir / "loras" / "styles" / "ink.safetensors"
    lora.parent.mkdir(parents=True)
    lora.write_bytes(b"")
    (models_dir / "loras" / "notes.txt").write_text("not a model")
    try:
        assert engine.loras() == ["styles/ink.safetensors"]
    finally:
        lora.unlink()
        (models_dir / "loras" / "notes.txt").unlink()


def test_same_seed_same_pixels_other_seed_other_pixels(engine: LocalEngine) -> None:
    first = _generate(engine, SPEC)
    second = _generate(engine, SPEC)
    other = _generate(engine, dataclasses.replace(SPEC, seed=SPEC.seed + 1))
    assert first.backend == "local"
    assert _pixels(first.image) == _pixels(second.image)
    assert _pixels(first.image) != _pixels(other.image)
    assert np.asarray(first.image).std() > 1  # not a blank image


def test_largest_seed_is_accepted(engine: LocalEngine) -> None:
    top = _generate(engine, dataclasses.replace(SPEC, seed=2**64 - 1))
    assert top.image.size == (64, 64)
    with pytest.raises(EngineError, match="seed"):
        _generate(engine, dataclasses.replace(SPEC, seed=2**64))


def test_output_matches_sampling_the_loaded_models_directly(engine: LocalEngine) -> None:
    """The engine adds nothing to the sampling core's run but bookkeeping and callbacks."""
    result = _generate(engine, SPEC)
    loaded = engine.last_loaded
    assert loaded is not None
    pipeline = loaded.loaded.pipeline
    with torch.inference_mode():
        conditioning = encode_prompts(pipeline, "sd1", SPEC.positive, SPEC.negative, None, "cpu")
        direct = sample_image(
            pipeline,
            "sd1",
            SPEC,
            conditioning,
            model_sampling_of(loaded.base_scheduler_config),
            lambda step: None,
        )
    assert _pixels(result.image) == _pixels(direct)


def test_width_and_height_are_honoured(engine: LocalEngine) -> None:
    result = _generate(engine, dataclasses.replace(SPEC, width=64, height=96))
    assert result.image.size == (64, 96)
    assert result.image.mode == "RGB"
    with pytest.raises(EngineError, match="multiple of 8"):
        _generate(engine, dataclasses.replace(SPEC, width=60))


def test_second_job_on_the_same_checkpoint_does_not_reload(
    models_dir: Path, cache_dir: Path
) -> None:
    fresh = LocalEngine(models_dir, cache_dir, device="cpu", threads=TEST_THREADS)
    first = _generate(fresh, SPEC)
    pipeline = fresh.pipeline
    second = _generate(fresh, dataclasses.replace(SPEC, seed=5, sampler="dpmpp_2m"))
    assert first.info["loaded_checkpoint_now"] is True
    assert second.info["loaded_checkpoint_now"] is False
    assert fresh.pipeline is pipeline
    assert set(first.info) >= {"device", "seconds", "loaded_checkpoint_now"}
    assert first.info["device"] == "cpu"
    assert first.info["seconds"] > 0


def test_switching_checkpoints_loads_the_other_one(models_dir: Path, cache_dir: Path) -> None:
    fresh = LocalEngine(models_dir, cache_dir, device="cpu", threads=TEST_THREADS)
    sd1 = _generate(fresh, SPEC)
    sdxl = _generate(fresh, dataclasses.replace(SPEC, checkpoint=SDXL_NAME))
    back = _generate(fresh, SPEC)
    assert [sd1.info["family"], sdxl.info["family"], back.info["family"]] == [
        "sd1",
        "sdxl",
        "sd1",
    ]
    assert back.info["loaded_checkpoint_now"] is True
    assert _pixels(back.image) == _pixels(sd1.image)


def test_sdxl_generates_reproducibly(engine: LocalEngine) -> None:
    spec = dataclasses.replace(SPEC, checkpoint=SDXL_NAME, width=64, height=96)
    first = _generate(engine, spec)
    second = _generate(engine, spec)
    assert first.image.size == (64, 96)
    assert first.info["family"] == "sdxl"
    assert _pixels(first.image) == _pixels(second.image)
    assert _pixels(first.image) != _pixels(
        _generate(engine, dataclasses.replace(spec, seed=9)).image
    )


def test_progress_is_monotonic_and_reaches_one(engine: LocalEngine) -> None:
    for sampler in ("euler", "heun"):  # heun runs more model calls than steps
        progress: list[float] = []
        _generate(engine, dataclasses.replace(SPEC, steps=3, sampler=sampler), progress)
        assert progress, sampler
        assert progress == sorted(progress), sampler
        assert all(0.0 < value <= 1.0 for value in progress), sampler
        assert progress[-1] == 1.0, sampler
        assert progress.count(1.0) == 1, sampler


def test_cancel_mid_run_stops_and_the_engine_keeps_working(engine: LocalEngine) -> None:
    cancel = CancelToken()
    progress: list[float] = []

    def on_progress(fraction: float) -> None:
        progress.append(fraction)
        if len(progress) == 2:
            cancel.cancel()

    with pytest.raises(GenerationCancelled):
        engine.generate(dataclasses.replace(SPEC, steps=6), on_progress, cancel)
    assert len(progress) == 2  # stopped at the step where it was asked to
    after = _generate(engine, SPEC)
    assert _pixels(after.image) == _pixels(_generate(engine, SPEC).image)


def test_cancel_from_another_thread(engine: LocalEngine) -> None:
    cancel = CancelToken()
    started = threading.Event()

    def on_progress(fraction: float) -> None:
        started.set()
        threading.Event().wait(0.05)  # give the canceller time to act

    def canceller() -> None:
        started.wait(30)
        cancel.cancel()

    thread = threading.Thread(target=canceller)
    thread.start()
    with pytest.raises(GenerationCancelled):
        engine.generate(dataclasses.replace(SPEC, steps=50), on_progress, cancel)
    thread.join()


def test_already_cancelled_job_does_not_run(engine: LocalEngine) -> None:
    cancel = CancelToken()
    cancel.cancel()
    progress: list[float] = []
    with pytest.raises(GenerationCancelled):
        engine.generate(SPEC, progress.append, cancel)
    assert progress == []


def test_missing_files_are_model_not_found(engine: LocalEngine) -> None:
    with pytest.raises(ModelNotFound, match=r"nope/missing\.safetensors"):
        _generate(engine, dataclasses.replace(SPEC, checkpoint="nope/missing.safetensors"))
    with pytest.raises(ModelNotFound, match="VAE"):
        _generate(engine, dataclasses.replace(SPEC, vae="missing-vae.safetensors"))
    with pytest.raises(ModelNotFound, match="LoRA"):
        _generate(engine, dataclasses.replace(SPEC, loras=(LoraSpec("missing.safetensors"),)))
    with pytest.raises(ModelNotFound):  # no escaping the models folder
        _generate(engine, dataclasses.replace(SPEC, checkpoint=f"../vae/{TINY_VAE_NAME}"))


def test_unknown_sampler_and_scheduler_are_named(engine: LocalEngine) -> None:
    with pytest.raises(EngineError, match="'euler_x'") as error:
        _generate(engine, dataclasses.replace(SPEC, sampler="euler_x"))
    assert all(name in str(error.value) for name in COMFYUI_SAMPLER_ORDER)
    with pytest.raises(EngineError, match="'betta'") as error:
        _generate(engine, dataclasses.replace(SPEC, scheduler="betta"))
    assert all(name in str(error.value) for name in SCHEDULER_NAMES)


@pytest.mark.parametrize("sampler", COMFYUI_SAMPLER_ORDER)
def test_every_sampler_runs_with_the_normal_schedule(engine: LocalEngine, sampler: str) -> None:
    spec = dataclasses.replace(SPEC, sampler=sampler, scheduler="normal", seed=2**64 - 1)
    first = _generate(engine, spec)
    assert first.image.size == (64, 64)
    assert _pixels(first.image) == _pixels(_generate(engine, spec).image)  # ancestral ones too


@pytest.mark.parametrize(
    ("sampler", "scheduler"),
    [
        ("euler", "karras"),
        ("dpmpp_2m", "karras"),
        ("dpmpp_2m_sde", "karras"),
        ("dpm_2_ancestral", "karras"),
        ("uni_pc", "karras"),
        ("euler", "exponential"),
        ("dpmpp_2m", "simple"),
        ("euler_ancestral", "sgm_uniform"),
        ("ddim", "karras"),
        ("euler_ancestral", "exponential"),
        ("dpmpp_3m_sde", "beta"),
        ("lcm", "kl_optimal"),
        ("res_multistep", "linear_quadratic"),
        ("ipndm", "ddim_uniform"),
    ],
)
def test_schedules_run(engine: LocalEngine, sampler: str, scheduler: str) -> None:
    result = _generate(engine, dataclasses.replace(SPEC, sampler=sampler, scheduler=scheduler))
    assert result.image.size == (64, 64)


def test_the_schedule_changes_the_image(engine: LocalEngine) -> None:
    images = {
        scheduler: _pixels(_generate(engine, dataclasses.replace(SPEC, scheduler=scheduler)).image)
        for scheduler in SCHEDULER_NAMES
    }
    assert len(set(images.values())) == len(SCHEDULER_NAMES)


def test_clip_skip_changes_the_conditioning(engine: LocalEngine) -> None:
    plain = _generate(engine, SPEC)
    one = _generate(engine, dataclasses.replace(SPEC, clip_skip=1))
    two = _generate(engine, dataclasses.replace(SPEC, clip_skip=2))
    assert _pixels(one.image) == _pixels(plain.image)
    assert _pixels(two.image) != _pixels(plain.image)
    with pytest.raises(EngineError, match="clip_skip 3 is more than"):
        _generate(engine, dataclasses.replace(SPEC, clip_skip=3))  # 2 layers in the tiny CLIP


def test_sdxl_clip_skip_one_and_two_are_the_default_three_skips_more(engine: LocalEngine) -> None:
    spec = dataclasses.replace(SPEC, checkpoint=SDXL_NAME)
    plain = _pixels(_generate(engine, spec).image)
    assert _pixels(_generate(engine, dataclasses.replace(spec, clip_skip=1)).image) == plain
    assert _pixels(_generate(engine, dataclasses.replace(spec, clip_skip=2)).image) == plain
    assert _pixels(_generate(engine, dataclasses.replace(spec, clip_skip=3)).image) != plain


def test_vae_file_replaces_the_checkpoint_vae_and_is_put_back(engine: LocalEngine) -> None:
    plain = _generate(engine, SPEC)
    with_vae = _generate(engine, dataclasses.replace(SPEC, vae=TINY_VAE_NAME))
    source = tiny_models("sd1", VAE_SEED).vae
    loaded = dict(engine.pipeline.vae.named_parameters())
    for name, parameter in source.named_parameters():
        assert torch.equal(loaded[name], parameter), name
    assert _pixels(with_vae.image) != _pixels(plain.image)
    again = _generate(engine, SPEC)
    assert _pixels(again.image) == _pixels(plain.image)
