"""LoRAs fused into the weights: a set reused as it is, the checkpoint's own weights restored
exactly when the set changes, and every set giving the pixels a fresh engine gives for it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from devkit.tiny_lora import write_tiny_lora
from gaze.engines.base import CancelToken
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.lora_fusing import FusedWeights
from gaze.engines.local.lora_loading import loaded_adapter_names
from gaze.generation_spec import GenerationSpec, LoraSpec
from tests.engines.local.local_engine_constants import (
    LORA_LOADING_WARNINGS,
    SD1_NAME,
    SDXL_NAME,
    TEST_THREADS,
)

pytestmark = LORA_LOADING_WARNINGS

SPEC = GenerationSpec(
    positive="a photo of a cat",
    negative="blurry",
    checkpoint=SD1_NAME,
    width=64,
    height=64,
    steps=2,
    seed=7,
)
KIND_OF = {SD1_NAME: "sd1", SDXL_NAME: "sdxl"}
NAMINGS = ("kohya", "peft", "diffusers")


@pytest.fixture(scope="module")
def lora_names(models_dir: Path) -> Iterator[dict[str, list[str]]]:
    """Three LoRA files (one per naming) for each tiny checkpoint, by checkpoint name."""
    written: dict[str, list[str]] = {}
    for checkpoint, kind in KIND_OF.items():
        for index, naming in enumerate(NAMINGS):
            name = f"fusing/{kind}-{naming}.safetensors"
            write_tiny_lora(models_dir / "loras" / name, kind, 200 + index, naming)  # type: ignore[arg-type]
            written.setdefault(checkpoint, []).append(name)
    yield written
    for names in written.values():
        for name in names:
            (models_dir / "loras" / name).unlink(missing_ok=True)


def _pixels(engine: LocalEngine, spec: GenerationSpec) -> bytes:
    return engine.generate(spec, lambda _: None, CancelToken()).image.tobytes()


def _with(spec: GenerationSpec, *loras: tuple[str, float, float]) -> GenerationSpec:
    return dataclasses.replace(
        spec, loras=tuple(LoraSpec(name, model, clip) for name, model, clip in loras)
    )


def _fused(engine: LocalEngine) -> FusedWeights:
    assert engine.last_loaded is not None
    return engine.last_loaded.loras.fused


def _weights(engine: LocalEngine) -> dict[str, torch.Tensor]:
    pipeline = engine.pipeline
    return {
        f"{component}.{name}": tensor.clone()
        for component in ("unet", "text_encoder", "text_encoder_2")
        if getattr(pipeline, component, None) is not None
        for name, tensor in getattr(pipeline, component).state_dict().items()
    }


def _three(names: list[str]) -> tuple[tuple[str, float, float], ...]:
    return ((names[0], 0.8, 1.0), (names[1], 0.6, 0.5), (names[2], -0.4, 0.3))


@pytest.mark.parametrize("checkpoint", [SD1_NAME, SDXL_NAME])
def test_a_reused_set_stays_fused_and_plain_jobs_get_the_own_weights_back(
    engine: LocalEngine, lora_names: dict[str, list[str]], checkpoint: str
) -> None:
    spec = dataclasses.replace(SPEC, checkpoint=checkpoint)
    plain = _pixels(engine, spec)
    own_weights = _weights(engine)
    with_loras = _with(spec, *_three(lora_names[checkpoint]))

    first = _pixels(engine, with_loras)
    fused = _fused(engine)
    backups = dict(fused.originals)
    assert fused.touched_layers > 50 and len(fused.loras) == 3
    assert first != plain
    assert loaded_adapter_names(engine.pipeline) == set()  # no LoRA layer runs beside the model

    again = _pixels(engine, with_loras)
    assert again == first
    # Reused as it was: the originals were not taken again (the weights were not re-fused).
    assert fused.originals.keys() == backups.keys()
    assert all(fused.originals[key] is backup for key, backup in backups.items())

    assert _pixels(engine, spec) == plain
    assert not fused.originals and fused.loras == ()
    restored = _weights(engine)
    assert restored.keys() == own_weights.keys()
    assert all(torch.equal(restored[name], own_weights[name]) for name in own_weights)


def test_the_same_set_in_another_order_is_reused(
    engine: LocalEngine, lora_names: dict[str, list[str]]
) -> None:
    loras = _three(lora_names[SD1_NAME])
    forward = _pixels(engine, _with(SPEC, *loras))
    backups = dict(_fused(engine).originals)
    backward = _pixels(engine, _with(SPEC, *reversed(loras)))
    assert backward == forward
    assert all(_fused(engine).originals[key] is backup for key, backup in backups.items())


@pytest.mark.parametrize("checkpoint", [SD1_NAME, SDXL_NAME])
def test_every_set_after_another_gives_a_fresh_engines_pixels(
    engine: LocalEngine,
    models_dir: Path,
    cache_dir: Path,
    lora_names: dict[str, list[str]],
    checkpoint: str,
) -> None:
    names = lora_names[checkpoint]
    spec = dataclasses.replace(SPEC, checkpoint=checkpoint)
    sets = [
        _three(names),
        ((names[0], 0.3, 0.2), (names[1], 1.2, 0.0), (names[2], -0.4, 0.3)),  # new strengths
        ((names[2], 0.7, 0.7),),  # another set
        ((names[0], 0.5, 0.5), (names[1], 0.5, 0.5)),  # a swap
    ]
    in_turn = [_pixels(engine, _with(spec, *loras)) for loras in sets]
    assert len(set(in_turn)) == len(sets)
    for loras, pixels in zip(sets, in_turn, strict=True):
        fresh = LocalEngine(models_dir, cache_dir, device="cpu", threads=TEST_THREADS)
        assert _pixels(fresh, _with(spec, *loras)) == pixels, loras


def test_a_failing_lora_leaves_the_fused_set_in_place(
    engine: LocalEngine, lora_names: dict[str, list[str]]
) -> None:
    loras = _three(lora_names[SD1_NAME])
    before = _pixels(engine, _with(SPEC, *loras))
    fused = dict(_fused(engine).originals)
    wrong = (lora_names[SDXL_NAME][0], 1.0, 1.0)  # an SDXL LoRA on the SD1 checkpoint
    with pytest.raises(Exception, match="does not fit"):
        _pixels(engine, _with(SPEC, loras[0], wrong))
    assert all(_fused(engine).originals[key] is backup for key, backup in fused.items())
    assert _pixels(engine, _with(SPEC, *loras)) == before


def test_threads_with_different_sets_each_get_their_own_pixels(
    engine: LocalEngine, lora_names: dict[str, list[str]]
) -> None:
    names = lora_names[SD1_NAME]
    specs = [
        SPEC,
        _with(SPEC, *_three(names)),
        _with(SPEC, (names[1], 0.9, 0.9)),
        dataclasses.replace(_with(SPEC, (names[1], 0.9, 0.9)), seed=8),
    ]
    alone = [_pixels(engine, spec) for spec in specs]
    results: dict[int, bytes] = {}
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            for _ in range(2):
                results[index] = _pixels(engine, specs[index])
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(specs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert [results[index] for index in range(len(specs))] == alone


def test_strength_zero_touches_nothing(
    engine: LocalEngine, lora_names: dict[str, list[str]]
) -> None:
    names = lora_names[SD1_NAME]
    plain = _pixels(engine, SPEC)
    assert _pixels(engine, _with(SPEC, (names[0], 0.0, 0.0), (names[1], 0.0, 0.0))) == plain
    assert _fused(engine).touched_layers == 0
    clip_only = _pixels(engine, _with(SPEC, (names[0], 0.0, 1.0)))
    touched = {component for component, _ in _fused(engine).originals}
    assert touched == {"text_encoder"} and clip_only != plain
