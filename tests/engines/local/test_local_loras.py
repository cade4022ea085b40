"""LoRAs in the namings people download, on SD1.x and SDXL: every layer lands where the file says,
with its alpha, its model / clip weight, several at once, swapped without reloading the checkpoint.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from devkit.tiny_lora import (
    LORA_NAMINGS,
    LORA_RANK,
    LoraNaming,
    TinyLoraLayer,
    kohya_state_dict,
    tiny_lora_layers,
    write_lora_file,
)
from gaze.engines.base import CancelToken, EngineError
from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.lora_loading import LoraDoesNotFit, loaded_adapter_names
from gaze.engines.local.prompt_encoding import encode_prompts
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
    seed=99,
)
_names = itertools.count()


@dataclasses.dataclass
class WrittenLora:
    name: str
    layers: list[TinyLoraLayer]


@pytest.fixture
def write_lora(models_dir: Path) -> Iterator[Any]:
    """Write LoRA files into the models folder's loras/ (removed after the test)."""
    written: list[Path] = []

    def write(
        kind: str,
        seed: int,
        naming: LoraNaming = "kohya",
        components: tuple[str, ...] = ("unet", "text_encoder", "text_encoder_2"),
    ) -> WrittenLora:
        alpha = float(LORA_RANK) if naming == "diffusers" else 2.0
        layers = tiny_lora_layers(kind, seed, components, alpha=alpha)  # type: ignore[arg-type]
        name = f"test/{kind}-{naming}-{next(_names)}.safetensors"
        path = write_lora_file(models_dir / "loras" / name, layers, kind, naming)  # type: ignore[arg-type]
        written.append(path)
        return WrittenLora(name, layers)

    yield write
    for path in written:
        path.unlink(missing_ok=True)


def _run(engine: LocalEngine, spec: GenerationSpec) -> Any:
    return engine.generate(spec, lambda _: None, CancelToken())


def _with(spec: GenerationSpec, *loras: tuple[WrittenLora, float, float]) -> GenerationSpec:
    return dataclasses.replace(
        spec, loras=tuple(LoraSpec(lora.name, model, clip) for lora, model, clip in loras)
    )


def _layer_delta(layer: TinyLoraLayer, base: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What the LoRA layer adds to ``base``'s output at weight 1: ``scale * up(down(x))``."""
    if isinstance(base, torch.nn.Conv2d):
        hidden = F.conv2d(x, layer.down, stride=base.stride, padding=base.padding)
        return layer.scale * F.conv2d(hidden, layer.up)
    return layer.scale * F.linear(F.linear(x, layer.down), layer.up)


def _sample_input(base: torch.nn.Module) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    if isinstance(base, torch.nn.Conv2d):
        return torch.randn((1, base.in_channels, 8, 8), generator=generator)
    assert isinstance(base, torch.nn.Linear)
    return torch.randn((3, base.in_features), generator=generator)


Weights = dict[str, dict[str, torch.Tensor]]


def _plain_weights(engine: LocalEngine, checkpoint: str) -> Weights:
    """The checkpoint's own weights, as a plain job runs them (LoRAs change them in place)."""
    _run(engine, dataclasses.replace(SPEC, checkpoint=checkpoint, steps=1))
    pipeline = engine.pipeline
    return {
        component: {
            name: tensor.clone()
            for name, tensor in getattr(pipeline, component).state_dict().items()
        }
        for component in ("unet", "text_encoder", "text_encoder_2")
        if getattr(pipeline, component, None) is not None
    }


def _assert_layers_add(
    pipeline: Any, plain: Weights, applied: list[tuple[list[TinyLoraLayer], float, float]]
) -> int:
    """Every adapted module outputs its output with the ``plain`` weights plus the weighted sum of
    its LoRA layers."""
    expected: dict[tuple[str, str], list[tuple[TinyLoraLayer, float]]] = {}
    for layers, model_weight, clip_weight in applied:
        for layer in layers:
            weight = model_weight if layer.component == "unet" else clip_weight
            expected.setdefault((layer.component, layer.module), []).append((layer, weight))
    with torch.inference_mode():
        for (component, module_name), parts in expected.items():
            module = getattr(pipeline, component).get_submodule(module_name)
            own = {
                name: plain[component][f"{module_name}.{name}"]
                for name, _ in module.named_parameters()
            }
            x = _sample_input(module)
            added = module(x) - torch.func.functional_call(module, own, (x,))
            wanted = sum(weight * _layer_delta(layer, module, x) for layer, weight in parts)
            torch.testing.assert_close(
                added, wanted, rtol=1e-4, atol=1e-5, msg=f"{component}.{module_name}"
            )
    return len(expected)


@pytest.mark.parametrize(
    ("checkpoint", "kind", "naming"),
    [
        (checkpoint, kind, naming)
        for checkpoint, kind in ((SD1_NAME, "sd1"), (SDXL_NAME, "sdxl"))
        for naming in LORA_NAMINGS
    ],
)
def test_every_naming_puts_each_layer_where_the_file_says(
    engine: LocalEngine, write_lora: Any, checkpoint: str, kind: str, naming: LoraNaming
) -> None:
    lora = write_lora(kind, seed=31, naming=naming)
    spec = dataclasses.replace(SPEC, checkpoint=checkpoint, steps=1)
    plain = _plain_weights(engine, checkpoint)
    _run(engine, _with(spec, (lora, 0.7, 0.3)))
    checked = _assert_layers_add(engine.pipeline, plain, [(lora.layers, 0.7, 0.3)])
    components = {layer.component for layer in lora.layers}
    assert components == (
        {"unet", "text_encoder"} | ({"text_encoder_2"} if kind == "sdxl" else set())
    )
    assert checked == len(lora.layers) > 50


def test_model_and_clip_weights_act_separately(engine: LocalEngine, write_lora: Any) -> None:
    lora = write_lora("sd1", seed=41)
    plain = _run(engine, SPEC).image.tobytes()
    images = {
        (model, clip): _run(engine, _with(SPEC, (lora, model, clip))).image.tobytes()
        for model, clip in ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0))
    }
    assert images[(0.0, 0.0)] == plain
    assert len({plain, images[(1.0, 0.0)], images[(0.0, 1.0)], images[(1.0, 1.0)]}) == 4
    # The clip weight acts on the prompt embeddings only, the model weight on the UNet only.
    pipeline = engine.pipeline
    without = encode_prompts(pipeline, "sd1", SPEC.positive, SPEC.negative, None, "cpu")
    _run(engine, _with(SPEC, (lora, 1.0, 0.0)))
    model_only = encode_prompts(pipeline, "sd1", SPEC.positive, SPEC.negative, None, "cpu")
    assert torch.equal(model_only.prompt_embeds, without.prompt_embeds)
    _run(engine, _with(SPEC, (lora, 0.0, 1.0)))
    clip_only = encode_prompts(pipeline, "sd1", SPEC.positive, SPEC.negative, None, "cpu")
    assert not torch.equal(clip_only.prompt_embeds, without.prompt_embeds)


def test_several_loras_add_up_and_swap_without_reloading(
    engine: LocalEngine, write_lora: Any
) -> None:
    first = write_lora("sd1", seed=51, naming="kohya")
    second = write_lora("sd1", seed=52, naming="peft")
    third = write_lora("sd1", seed=53, naming="diffusers")
    plain_weights = _plain_weights(engine, SD1_NAME)
    plain = _run(engine, SPEC)
    pipeline = engine.pipeline
    together = _run(engine, _with(SPEC, (first, 0.8, 0.5), (second, -0.4, 1.0), (third, 0.3, 0.2)))
    assert together.info["loaded_checkpoint_now"] is False
    _assert_layers_add(
        pipeline,
        plain_weights,
        [(first.layers, 0.8, 0.5), (second.layers, -0.4, 1.0), (third.layers, 0.3, 0.2)],
    )
    alone = _run(engine, _with(SPEC, (second, 1.0, 1.0)))
    assert alone.info["loaded_checkpoint_now"] is False and engine.pipeline is pipeline
    _assert_layers_add(pipeline, plain_weights, [(second.layers, 1.0, 1.0)])
    assert alone.image.tobytes() != together.image.tobytes()
    again = _run(engine, SPEC)
    assert again.image.tobytes() == plain.image.tobytes()
    assert again.info["loaded_checkpoint_now"] is False


def test_sdxl_unet_only_lora_next_to_a_text_encoder_one(
    engine: LocalEngine, write_lora: Any
) -> None:
    unet_only = write_lora("sdxl", seed=61, components=("unet",))
    text_only = write_lora("sdxl", seed=62, naming="peft", components=("text_encoder_2",))
    spec = dataclasses.replace(SPEC, checkpoint=SDXL_NAME, steps=1)
    plain = _plain_weights(engine, SDXL_NAME)
    _run(engine, _with(spec, (unet_only, 0.6, 1.0), (text_only, 1.0, 0.9)))
    _assert_layers_add(
        engine.pipeline, plain, [(unet_only.layers, 0.6, 1.0), (text_only.layers, 1.0, 0.9)]
    )


def test_idle_lora_files_beyond_the_limit_are_forgotten(
    models_dir: Path, cache_dir: Path, write_lora: Any
) -> None:
    engine = LocalEngine(models_dir, cache_dir, device="cpu", threads=TEST_THREADS, kept_loras=1)
    loras = [write_lora("sd1", seed=70 + index) for index in range(3)]
    first_image = _run(engine, _with(SPEC, (loras[0], 1.0, 1.0))).image.tobytes()
    state = engine.last_loaded.loras if engine.last_loaded else None
    assert state is not None
    counts = [len(state.files)]
    for lora in loras[1:]:
        _run(engine, _with(SPEC, (lora, 1.0, 1.0)))
        counts.append(len(state.files))
        assert loaded_adapter_names(engine.pipeline) == set()  # fused, no peft layer left
    assert counts == [1, 2, 2]  # the job's own file plus one idle one
    again = _run(engine, _with(SPEC, (loras[0], 1.0, 1.0)))  # loaded afresh
    assert again.image.tobytes() == first_image
    assert again.info["loaded_checkpoint_now"] is False


@pytest.mark.parametrize(
    ("checkpoint", "lora_kind"),
    [(SD1_NAME, "sdxl"), (SDXL_NAME, "sd1")],
    ids=["sdxl-on-sd1", "sd1-on-sdxl"],
)
def test_a_lora_for_another_base_model_fails_naming_it(
    engine: LocalEngine, write_lora: Any, checkpoint: str, lora_kind: str
) -> None:
    wrong = write_lora(lora_kind, seed=81)
    right = write_lora("sd1" if lora_kind == "sdxl" else "sdxl", seed=82)
    spec = dataclasses.replace(SPEC, checkpoint=checkpoint, steps=1)
    plain_weights = _plain_weights(engine, checkpoint)
    plain = _run(engine, spec).image.tobytes()
    with pytest.raises(LoraDoesNotFit) as failure:
        _run(engine, _with(spec, (right, 1.0, 1.0), (wrong, 1.0, 1.0)))
    assert wrong.name in str(failure.value) and checkpoint in str(failure.value)
    assert _run(engine, spec).image.tobytes() == plain  # nothing of either LoRA stays active
    _run(engine, _with(spec, (right, 0.5, 0.5)))
    _assert_layers_add(engine.pipeline, plain_weights, [(right.layers, 0.5, 0.5)])


def test_a_lora_with_layers_the_checkpoint_lacks_is_refused(
    engine: LocalEngine, models_dir: Path
) -> None:
    state = kohya_state_dict(tiny_lora_layers("sd1", 91), "sd1")
    extra = "lora_te_text_model_encoder_layers_7_mlp_fc1"  # the tiny CLIP has 2 layers
    state[f"{extra}.lora_down.weight"] = torch.zeros(LORA_RANK, 32)
    state[f"{extra}.lora_up.weight"] = torch.zeros(64, LORA_RANK)
    state[f"{extra}.alpha"] = torch.tensor(1.0)
    path = models_dir / "loras" / "deeper-clip.safetensors"
    save_file({key: value.half().contiguous() for key, value in state.items()}, str(path))
    try:
        with pytest.raises(LoraDoesNotFit, match=r"deeper-clip.*only \d+ of its \d+ layers"):
            _run(engine, _with(SPEC, (WrittenLora("deeper-clip.safetensors", []), 1.0, 1.0)))
        assert "deeper" not in " ".join(loaded_adapter_names(engine.pipeline))
    finally:
        path.unlink()


def test_a_file_without_lora_layers_is_refused(engine: LocalEngine, models_dir: Path) -> None:
    path = models_dir / "loras" / "loha.safetensors"
    save_file({"lora_unet_x.hada_w1_a": torch.zeros(2, 2)}, str(path))
    try:
        with pytest.raises(EngineError, match=r"loha\.safetensors holds no LoRA layers"):
            _run(engine, _with(SPEC, (WrittenLora("loha.safetensors", []), 1.0, 1.0)))
    finally:
        path.unlink()
