"""Single-file checkpoints load offline through diffusers' real conversion, weight for weight."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from gaze.engines.base import EngineError
from gaze.engines.local.checkpoint_config import (
    UnsupportedCheckpoint,
    detect_family,
    infer_pipeline_config,
    read_tensor_shapes,
)
from gaze.engines.local.config_folder import cached_config_folder
from gaze.engines.local.pipeline_loading import load_pipeline, torch_modules
from gaze.engines.local.tiny_checkpoint import TinyModels, tiny_models
from gaze.engines.local.tokenizer_files import CLIP_VOCAB_SIZE
from tests.engines.local.local_engine_constants import SD1_NAME, SD1_SEED, SDXL_NAME, SDXL_SEED
from tests.engines.local.real_architectures import (
    CLIP_BIG_G,
    CLIP_L,
    SD15_UNET,
    SDXL_UNET,
    STANDARD_VAE,
    real_ldm_state_dict,
)

# diffusers' schedulers trip numpy 2's deprecation of torch tensors' __array__ signature.
pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

CAT_IDS = [49406, 320, 1125, 539, 320, 2368, 49407]
ARCHITECTURE_KEYS = (
    "block_out_channels",
    "layers_per_block",
    "down_block_types",
    "up_block_types",
    "cross_attention_dim",
    "attention_head_dim",
    "use_linear_projection",
    "in_channels",
    "out_channels",
    "addition_embed_type",
    "addition_time_embed_dim",
    "projection_class_embeddings_input_dim",
    "latent_channels",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "projection_dim",
    "hidden_act",
    "vocab_size",
    "max_position_embeddings",
)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def load_warnings() -> Iterator[list[str]]:
    """Warnings diffusers / transformers log while loading (their loggers do not propagate)."""
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in ("diffusers", "transformers")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.messages
    for logger in loggers:
        logger.removeHandler(handler)


def _normalise(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | list) else value


def _assert_same_parameters(loaded: torch.nn.Module, source: torch.nn.Module, label: str) -> None:
    loaded_parameters = dict(loaded.named_parameters())
    source_parameters = dict(source.named_parameters())
    assert loaded_parameters.keys() == source_parameters.keys(), label
    meta = [name for name, parameter in loaded_parameters.items() if parameter.is_meta]
    assert not meta, f"{label}: never loaded: {meta[:5]}"
    different = [
        name
        for name, parameter in source_parameters.items()
        if not torch.equal(loaded_parameters[name].detach(), parameter.detach())
    ]
    assert not different, f"{label}: weights differ from the written ones: {different[:5]}"


def _source_components(models: TinyModels) -> dict[str, torch.nn.Module]:
    components = {"unet": models.unet, "vae": models.vae, "text_encoder": models.text_encoder}
    if models.text_encoder_2 is not None:
        components["text_encoder_2"] = models.text_encoder_2
    return components


@pytest.mark.parametrize(
    ("name", "kind", "seed"), [(SD1_NAME, "sd1", SD1_SEED), (SDXL_NAME, "sdxl", SDXL_SEED)]
)
def test_every_written_weight_lands_in_the_pipeline(
    models_dir: Path,
    tmp_path: Path,
    load_warnings: list[str],
    name: str,
    kind: str,
    seed: int,
) -> None:
    checkpoint = models_dir / "checkpoints" / name
    loaded = load_pipeline(checkpoint, tmp_path, "cpu", torch.float32)
    assert loaded.family == kind

    source = _source_components(tiny_models(kind, seed))  # type: ignore[arg-type]
    components = torch_modules(loaded.pipeline)
    assert set(components) == set(source)
    for component, module in source.items():
        _assert_same_parameters(components[component], module, component)

    # Every tensor of the file is consumed: all parameters match and nothing is left over.
    written = load_file(str(checkpoint))
    written_numel = sum(tensor.numel() for tensor in written.values())
    loaded_numel = sum(p.numel() for module in components.values() for p in module.parameters())
    assert written_numel == loaded_numel
    unused = [m for m in load_warnings if "not used" in m or "unexpected" in m.lower()]
    assert not unused


def test_sdxl_text_encoders_are_told_apart(models_dir: Path, tmp_path: Path) -> None:
    pipeline = load_pipeline(
        models_dir / "checkpoints" / SDXL_NAME, tmp_path, "cpu", torch.float32
    ).pipeline
    first = pipeline.text_encoder.embeddings.token_embedding.weight
    second = pipeline.text_encoder_2.text_model.embeddings.token_embedding.weight
    assert first.shape[1] != second.shape[1]
    assert pipeline.unet.config.cross_attention_dim == first.shape[1] + second.shape[1]


@pytest.mark.parametrize("name", [SD1_NAME, SDXL_NAME])
def test_loaded_tokenizers_are_the_real_clip_vocabulary(
    models_dir: Path, tmp_path: Path, name: str
) -> None:
    pipeline = load_pipeline(models_dir / "checkpoints" / name, tmp_path, "cpu", torch.float32)
    tokenizers = [pipeline.pipeline.tokenizer, getattr(pipeline.pipeline, "tokenizer_2", None)]
    for tokenizer in filter(None, tokenizers):
        assert len(tokenizer) == CLIP_VOCAB_SIZE
        assert tokenizer("a photo of a cat").input_ids == CAT_IDS
    if name == SDXL_NAME:
        assert pipeline.pipeline.tokenizer_2.pad_token_id == 0


def test_broken_tokenizer_files_are_refused(models_dir: Path, tmp_path: Path) -> None:
    checkpoint = models_dir / "checkpoints" / SD1_NAME
    config = infer_pipeline_config(read_tensor_shapes(checkpoint))
    folder = cached_config_folder(config, tmp_path)
    (folder / "tokenizer" / "vocab.json").unlink()
    (folder / "tokenizer" / "merges.txt").unlink()
    with pytest.raises(EngineError, match="tokenizer"):
        load_pipeline(checkpoint, tmp_path, "cpu", torch.float32)


@pytest.mark.parametrize(("name", "kind"), [(SD1_NAME, "sd1"), (SDXL_NAME, "sdxl")])
def test_inferred_configs_match_the_tiny_models(models_dir: Path, name: str, kind: str) -> None:
    config = infer_pipeline_config(read_tensor_shapes(models_dir / "checkpoints" / name))
    models = tiny_models(kind, 0)  # type: ignore[arg-type]
    pairs = [
        (config.unet, models.unet.config),
        (config.vae, models.vae.config),
        (config.text_encoder, models.text_encoder.config.to_dict()),
    ]
    if models.text_encoder_2 is not None:
        assert config.text_encoder_2 is not None
        pairs.append((config.text_encoder_2, models.text_encoder_2.config.to_dict()))
    for inferred, actual in pairs:
        for key in ARCHITECTURE_KEYS:
            if key in actual:
                assert _normalise(inferred.get(key, actual[key])) == _normalise(actual[key]), key
    assert config.unet.get("transformer_layers_per_block", 1) in (1, [1, 2])


def test_written_checkpoint_uses_original_key_names(models_dir: Path) -> None:
    sd1 = read_tensor_shapes(models_dir / "checkpoints" / SD1_NAME)
    assert sd1["model.diffusion_model.input_blocks.3.1.transformer_blocks.0.attn2.to_k.weight"]
    assert sd1["model.diffusion_model.input_blocks.2.0.op.weight"]
    assert len(sd1["first_stage_model.encoder.mid.attn_1.q.weight"]) == 4  # 1x1 conv
    assert sd1["cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"] == (
        CLIP_VOCAB_SIZE,
        32,
    )
    sdxl = read_tensor_shapes(models_dir / "checkpoints" / SDXL_NAME)
    width = sdxl["conditioner.embedders.1.model.positional_embedding"][1]
    resblock = "conditioner.embedders.1.model.transformer.resblocks.0."
    assert sdxl[resblock + "attn.in_proj_weight"] == (3 * width, width)
    for part in ("ln_1.weight", "mlp.c_fc.weight", "mlp.c_proj.weight", "ln_2.bias"):
        assert resblock + part in sdxl
    assert sdxl["conditioner.embedders.1.model.text_projection"][0] == width
    assert "conditioner.embedders.1.model.ln_final.weight" in sdxl
    assert "model.diffusion_model.label_emb.0.0.weight" in sdxl
    assert "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight" in sdxl


def test_config_folder_is_cached_per_architecture(models_dir: Path, tmp_path: Path) -> None:
    sd1 = infer_pipeline_config(read_tensor_shapes(models_dir / "checkpoints" / SD1_NAME))
    sdxl = infer_pipeline_config(read_tensor_shapes(models_dir / "checkpoints" / SDXL_NAME))
    first = cached_config_folder(sd1, tmp_path)
    stamp = (first / "model_index.json").stat().st_mtime_ns
    assert cached_config_folder(sd1, tmp_path) == first
    assert (first / "model_index.json").stat().st_mtime_ns == stamp
    other = cached_config_folder(sdxl, tmp_path)
    assert other != first
    for part in ("unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2"):
        assert (other / part).is_dir()


# -- real architectures: shapes of full-size models, built on the meta device (no memory) -------


def _meta_shapes(family: str) -> dict[str, tuple[int, ...]]:
    return {name: tuple(tensor.shape) for name, tensor in real_ldm_state_dict(family).items()}


@pytest.mark.parametrize(
    ("family", "unet"), [("sd1", SD15_UNET), ("sdxl", SDXL_UNET)], ids=["sd15", "sdxl"]
)
def test_real_architectures_give_their_standard_configs(family: str, unet: dict) -> None:
    shapes = _meta_shapes(family)
    # A few well-known tensors of the published checkpoints, to anchor the key names.
    if family == "sd1":
        assert shapes["model.diffusion_model.input_blocks.1.1.proj_in.weight"] == (320, 320, 1, 1)
        assert shapes["model.diffusion_model.output_blocks.11.0.skip_connection.weight"]
    else:
        assert shapes["conditioner.embedders.1.model.transformer.resblocks.9.mlp.c_proj.bias"]
        assert shapes["model.diffusion_model.label_emb.0.0.weight"] == (1280, 2816)
    config = infer_pipeline_config(shapes)
    assert config.family == family
    for key, value in unet.items():
        assert _normalise(config.unet.get(key)) == _normalise(value), key
    assert "reverse_transformer_layers_per_block" not in config.unet
    for key, value in STANDARD_VAE.items():
        assert _normalise(config.vae[key]) == _normalise(value), key
    assert config.vae["scaling_factor"] == (0.18215 if family == "sd1" else 0.13025)
    for key, value in CLIP_L.items():
        assert config.text_encoder[key] == value, key
    if family == "sdxl":
        assert config.text_encoder_2 is not None
        for key, value in CLIP_BIG_G.items():
            assert config.text_encoder_2[key] == value, key
    else:
        assert config.text_encoder_2 is None


def _write(path: Path, shapes: dict[str, tuple[int, ...]]) -> Path:
    save_file({name: torch.zeros(shape) for name, shape in shapes.items()}, str(path))
    return path


def test_files_that_are_not_sd1_or_sdxl_checkpoints_are_refused(tmp_path: Path) -> None:
    unet_in = {"model.diffusion_model.input_blocks.0.0.weight": (32, 4, 3, 3)}
    cases: dict[str, dict[str, tuple[int, ...]]] = {
        "vae-only": {"encoder.conv_in.weight": (8, 3, 3, 3)},
        "sd2": {**unet_in, "cond_stage_model.model.positional_embedding": (77, 8)},
        "refiner": {**unet_in, "conditioner.embedders.0.model.positional_embedding": (77, 8)},
        "instruct-pix2pix": {
            "model.diffusion_model.input_blocks.0.0.weight": (32, 8, 3, 3),
            "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (8, 8),
        },
    }
    for label, shapes in cases.items():
        path = _write(tmp_path / f"{label}.safetensors", shapes)
        with pytest.raises(UnsupportedCheckpoint):
            detect_family(read_tensor_shapes(path))
    not_safetensors = tmp_path / "junk.safetensors"
    not_safetensors.write_bytes(b"\xff" * 64)
    with pytest.raises(UnsupportedCheckpoint):
        read_tensor_shapes(not_safetensors)
