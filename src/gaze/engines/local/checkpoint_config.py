"""Infer the diffusers configs of a single-file SD1.x / SDXL checkpoint from its tensor shapes.

diffusers' single-file loader needs, to work offline, a folder holding the pipeline's configs. The
published configs only fit the published architectures, so this module reads the architecture off
the checkpoint itself: channels, layers per block, transformer depths, context width, text encoder
widths and depths, VAE channels... Real SD1.5 and SDXL checkpoints give their standard configs;
smaller (test) checkpoints give matching small configs.

What shapes cannot tell is taken from the family's convention:

- attention heads: SD1.x uses 8 heads per attention layer; SDXL uses 64 channels per head; CLIP text
  encoders use 64 channels per head (at least one head);
- GroupNorm uses 32 groups;
- the text encoders' activation: quick GELU for OpenAI CLIP-L, GELU for OpenCLIP bigG;
- the VAE scaling factor (0.18215 for SD1.x, 0.13025 for SDXL) and the noise schedule.

Only the header of a ``.safetensors`` file is read here (names, shapes, dtypes), never the weights.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gaze.engines.base import EngineError
from gaze.engines.local.ldm_key_names import (
    SD1_CLIP_PREFIX,
    SDXL_CLIP_L_PREFIX,
    SDXL_OPEN_CLIP_PREFIX,
    UNET_PREFIX,
    VAE_PREFIX,
)

ModelFamily = Literal["sd1", "sdxl"]
Shapes = Mapping[str, tuple[int, ...]]

NORM_NUM_GROUPS = 32
SD1_ATTENTION_HEADS = 8
SDXL_CHANNELS_PER_HEAD = 64
CLIP_CHANNELS_PER_HEAD = 64
SD1_VAE_SCALING_FACTOR = 0.18215
SDXL_VAE_SCALING_FACTOR = 0.13025
SDXL_TIME_IDS = 6  # original size (2), crop offset (2), target size (2)

# Markers that ComfyUI writes into v-prediction / zero-terminal-SNR checkpoints.
V_PREDICTION_MARKER = "v_pred"
ZERO_TERMINAL_SNR_MARKER = "ztsnr"

_MAX_HEADER_BYTES = 100 * 1024 * 1024


class UnsupportedCheckpoint(EngineError):
    """The file is not a single-file SD1.x or SDXL checkpoint this engine can load."""


@dataclass(frozen=True)
class PipelineConfig:
    """Everything needed to write a diffusers config folder for one checkpoint architecture."""

    family: ModelFamily
    unet: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    text_encoder_2: dict[str, Any] | None
    scheduler: dict[str, Any]

    def as_json_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "unet": self.unet,
            "vae": self.vae,
            "text_encoder": self.text_encoder,
            "text_encoder_2": self.text_encoder_2,
            "scheduler": self.scheduler,
        }


def read_tensor_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes from a ``.safetensors`` header, without reading any weight."""
    try:
        with path.open("rb") as handle:
            (header_length,) = struct.unpack("<Q", handle.read(8))
            if header_length > _MAX_HEADER_BYTES:
                raise UnsupportedCheckpoint(f"{path.name}: not a safetensors file")
            header = json.loads(handle.read(header_length))
    except (OSError, struct.error, ValueError) as error:
        raise UnsupportedCheckpoint(
            f"{path.name}: unreadable safetensors header ({error})"
        ) from None
    return {
        name: tuple(int(size) for size in entry["shape"])
        for name, entry in header.items()
        if name != "__metadata__"
    }


UNET_INPUT_CHANNELS = (4, 9)
"""Text-to-image UNets take the latent; inpainting ones also a mask and the masked image's
latent (1 + 4 channels more)."""


def detect_family(shapes: Shapes) -> ModelFamily:
    """SD1.x or SDXL, from which text encoders the checkpoint holds; anything else is refused."""
    if not any(name.startswith(UNET_PREFIX) for name in shapes):
        raise UnsupportedCheckpoint(
            "no UNet weights (model.diffusion_model.*): not a full single-file checkpoint"
        )
    if f"{SDXL_OPEN_CLIP_PREFIX}positional_embedding" in shapes:
        if f"{SDXL_CLIP_L_PREFIX}text_model.embeddings.token_embedding.weight" not in shapes:
            raise UnsupportedCheckpoint("SDXL checkpoint without its CLIP-L text encoder")
        family: ModelFamily = "sdxl"
    elif "conditioner.embedders.0.model.positional_embedding" in shapes:
        raise UnsupportedCheckpoint("SDXL refiner checkpoints are not supported")
    elif "cond_stage_model.model.positional_embedding" in shapes:
        raise UnsupportedCheckpoint("SD2.x checkpoints are not supported")
    elif f"{SD1_CLIP_PREFIX}text_model.embeddings.token_embedding.weight" in shapes:
        family = "sd1"
    else:
        raise UnsupportedCheckpoint("no known text encoder: not an SD1.x or SDXL checkpoint")
    in_channels = shapes.get(f"{UNET_PREFIX}input_blocks.0.0.weight", (0, 0))[1]
    if in_channels not in UNET_INPUT_CHANNELS:
        raise UnsupportedCheckpoint(
            f"UNet takes {in_channels} input channels (instruct-pix2pix or another variant); "
            "text-to-image (4 channels) and inpainting (9) checkpoints are supported"
        )
    return family


def infer_pipeline_config(shapes: Shapes) -> PipelineConfig:
    """The diffusers configs of every component of the checkpoint whose shapes are given."""
    family = detect_family(shapes)
    if family == "sd1":
        text_encoder = infer_clip_config(shapes, f"{SD1_CLIP_PREFIX}text_model.")
        text_encoder_2 = None
        pooled_width = None
    else:
        text_encoder = infer_clip_config(shapes, f"{SDXL_CLIP_L_PREFIX}text_model.")
        text_encoder_2 = infer_open_clip_config(shapes, SDXL_OPEN_CLIP_PREFIX)
        pooled_width = int(text_encoder_2["projection_dim"])
    return PipelineConfig(
        family=family,
        unet=infer_unet_config(shapes, family, pooled_width),
        vae=infer_vae_config(shapes, family, VAE_PREFIX),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        scheduler=scheduler_config(shapes, family),
    )


def _indices(shapes: Shapes, pattern: str) -> list[int]:
    """Sorted distinct integers captured by ``pattern`` (one group) at the start of names."""
    compiled = re.compile(pattern)
    return sorted({int(match[1]) for name in shapes if (match := compiled.match(name))})


def _shape(shapes: Shapes, name: str) -> tuple[int, ...]:
    try:
        return shapes[name]
    except KeyError:
        raise UnsupportedCheckpoint(f"expected tensor {name!r} is missing") from None


def _transformer_depth(shapes: Shapes, block_prefix: str) -> int:
    return len(_indices(shapes, re.escape(block_prefix) + r"transformer_blocks\.(\d+)\."))


def infer_unet_config(
    shapes: Shapes, family: ModelFamily, pooled_text_width: int | None = None
) -> dict[str, Any]:
    p = UNET_PREFIX
    input_blocks = _indices(shapes, re.escape(p) + r"input_blocks\.(\d+)\.")
    downsamplers = [i for i in input_blocks if f"{p}input_blocks.{i}.0.op.weight" in shapes]
    levels = len(downsamplers) + 1
    layer_slots = len(input_blocks) - 1 - len(downsamplers)
    if not input_blocks or layer_slots <= 0 or layer_slots % levels:
        raise UnsupportedCheckpoint("UNet input blocks do not form a known layout")
    layers_per_block = layer_slots // levels
    stride = layers_per_block + 1

    block_out_channels: list[int] = []
    down_block_types: list[str] = []
    depths: list[int] = []
    for level in range(levels):
        first = 1 + level * stride
        block_out_channels.append(
            _shape(shapes, f"{p}input_blocks.{first}.0.in_layers.2.weight")[0]
        )
        depth = _transformer_depth(shapes, f"{p}input_blocks.{first}.1.")
        down_block_types.append("CrossAttnDownBlock2D" if depth else "DownBlock2D")
        depths.append(depth or 1)

    up_block_types: list[str] = []
    up_depths: list[list[int]] = []
    for up_level in range(levels):
        layer_depths = [
            _transformer_depth(shapes, f"{p}output_blocks.{up_level * stride + layer}.1.")
            for layer in range(stride)
        ]
        up_block_types.append("CrossAttnUpBlock2D" if any(layer_depths) else "UpBlock2D")
        up_depths.append([depth or 1 for depth in layer_depths])
    mid_depth = _transformer_depth(shapes, f"{p}middle_block.1.")
    if not mid_depth:
        raise UnsupportedCheckpoint("UNet middle block has no attention")

    attention_keys = [name for name in shapes if name.startswith(p) and "attn2.to_k.weight" in name]
    if not attention_keys:
        raise UnsupportedCheckpoint("UNet has no cross-attention layers")
    cross_attention_dim = shapes[attention_keys[0]][1]
    proj_in = next(
        name for name in shapes if name.startswith(p) and name.endswith("proj_in.weight")
    )
    use_linear_projection = len(shapes[proj_in]) == 2

    config: dict[str, Any] = {
        "_class_name": "UNet2DConditionModel",
        "act_fn": "silu",
        "block_out_channels": block_out_channels,
        "center_input_sample": False,
        "cross_attention_dim": cross_attention_dim,
        "down_block_types": down_block_types,
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": _shape(shapes, f"{p}input_blocks.0.0.weight")[1],
        "layers_per_block": layers_per_block,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": NORM_NUM_GROUPS,
        "out_channels": _shape(shapes, f"{p}out.2.weight")[0],
        "up_block_types": up_block_types,
        "use_linear_projection": use_linear_projection,
    }
    if family == "sd1":
        config["attention_head_dim"] = SD1_ATTENTION_HEADS
        config["sample_size"] = 64
    else:
        config["attention_head_dim"] = [
            max(1, channels // SDXL_CHANNELS_PER_HEAD) for channels in block_out_channels
        ]
        config["sample_size"] = 128
    transformer_layers = _down_depths_with_mid(depths, down_block_types, mid_depth)
    if any(depth != 1 for depth in transformer_layers):
        config["transformer_layers_per_block"] = transformer_layers
    default_up_depths = [[depth] * stride for depth in reversed(transformer_layers)]
    for level, block_type in enumerate(up_block_types):
        if block_type == "UpBlock2D":  # no attention: the depth entry is unused
            up_depths[level] = default_up_depths[level]
    if up_depths != default_up_depths:
        config["reverse_transformer_layers_per_block"] = up_depths

    time_embed_width = _shape(shapes, f"{p}time_embed.0.weight")[0]
    if time_embed_width != 4 * block_out_channels[0]:
        config["time_embedding_dim"] = time_embed_width

    label_embedding = shapes.get(f"{p}label_emb.0.0.weight")
    if label_embedding is not None:
        if pooled_text_width is None:
            raise UnsupportedCheckpoint("UNet has an added embedding but no pooled text encoder")
        time_ids_width = label_embedding[1] - pooled_text_width
        if time_ids_width <= 0 or time_ids_width % SDXL_TIME_IDS:
            raise UnsupportedCheckpoint("UNet added embedding does not match the text encoder")
        config["addition_embed_type"] = "text_time"
        config["addition_embed_type_num_heads"] = 64
        config["addition_time_embed_dim"] = time_ids_width // SDXL_TIME_IDS
        config["projection_class_embeddings_input_dim"] = label_embedding[1]
    elif family == "sdxl":
        raise UnsupportedCheckpoint("SDXL UNet without its added (pooled text/time) embedding")
    return config


def _down_depths_with_mid(
    depths: list[int], down_block_types: list[str], mid_depth: int
) -> list[int]:
    """The ``transformer_layers_per_block`` list, whose last entry diffusers also uses as the mid
    block's depth; a last down block without attention leaves that entry free for the mid block.
    """
    if down_block_types[-1] == "DownBlock2D":
        return [*depths[:-1], mid_depth]
    if depths[-1] != mid_depth:
        raise UnsupportedCheckpoint(
            f"mid block depth {mid_depth} differs from the last down block's {depths[-1]}"
        )
    return list(depths)


def infer_vae_config(shapes: Shapes, family: ModelFamily, prefix: str) -> dict[str, Any]:
    """An ``AutoencoderKL`` config; ``prefix`` is ``first_stage_model.`` or ``""`` (VAE file)."""
    levels = _indices(shapes, re.escape(prefix) + r"encoder\.down\.(\d+)\.")
    if not levels:
        raise UnsupportedCheckpoint("no VAE weights (first_stage_model.encoder.*)")
    layers = _indices(shapes, re.escape(prefix) + r"encoder\.down\.0\.block\.(\d+)\.")
    block_out_channels = [
        _shape(shapes, f"{prefix}encoder.down.{level}.block.0.conv1.weight")[0] for level in levels
    ]
    config: dict[str, Any] = {
        "_class_name": "AutoencoderKL",
        "act_fn": "silu",
        "block_out_channels": block_out_channels,
        "down_block_types": ["DownEncoderBlock2D"] * len(levels),
        "in_channels": _shape(shapes, f"{prefix}encoder.conv_in.weight")[1],
        "latent_channels": _shape(shapes, f"{prefix}decoder.conv_in.weight")[1],
        "layers_per_block": len(layers),
        "norm_num_groups": NORM_NUM_GROUPS,
        "out_channels": _shape(shapes, f"{prefix}decoder.conv_out.weight")[0],
        "up_block_types": ["UpDecoderBlock2D"] * len(levels),
    }
    if family == "sd1":
        config["sample_size"] = 512
        config["scaling_factor"] = SD1_VAE_SCALING_FACTOR
    else:
        config["sample_size"] = 1024
        config["scaling_factor"] = SDXL_VAE_SCALING_FACTOR
        config["force_upcast"] = True
    return config


def _clip_common(width: int, vocab: int, positions: int, layers: int, mlp: int) -> dict[str, Any]:
    return {
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dropout": 0.0,
        "eos_token_id": 2,
        "hidden_size": width,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": mlp,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": positions,
        "model_type": "clip_text_model",
        "num_attention_heads": max(1, width // CLIP_CHANNELS_PER_HEAD),
        "num_hidden_layers": layers,
        "pad_token_id": 1,
        "vocab_size": vocab,
    }


def infer_clip_config(shapes: Shapes, prefix: str) -> dict[str, Any]:
    """A ``CLIPTextModel`` config for OpenAI CLIP-L-style (HF-named) weights under ``prefix``."""
    vocab, width = _shape(shapes, f"{prefix}embeddings.token_embedding.weight")
    positions = _shape(shapes, f"{prefix}embeddings.position_embedding.weight")[0]
    layers = _indices(shapes, re.escape(prefix) + r"encoder\.layers\.(\d+)\.")
    mlp = _shape(shapes, f"{prefix}encoder.layers.0.mlp.fc1.weight")[0]
    return {
        "architectures": ["CLIPTextModel"],
        **_clip_common(width, vocab, positions, len(layers), mlp),
        "hidden_act": "quick_gelu",
        "projection_dim": width,
    }


def infer_open_clip_config(shapes: Shapes, prefix: str) -> dict[str, Any]:
    """A ``CLIPTextModelWithProjection`` config for OpenCLIP-named weights under ``prefix``."""
    vocab, width = _shape(shapes, f"{prefix}token_embedding.weight")
    positions = _shape(shapes, f"{prefix}positional_embedding")[0]
    layers = _indices(shapes, re.escape(prefix) + r"transformer\.resblocks\.(\d+)\.")
    mlp = _shape(shapes, f"{prefix}transformer.resblocks.0.mlp.c_fc.weight")[0]
    projection_width = _shape(shapes, f"{prefix}text_projection")[1]
    return {
        "architectures": ["CLIPTextModelWithProjection"],
        **_clip_common(width, vocab, positions, len(layers), mlp),
        "hidden_act": "gelu",
        "projection_dim": projection_width,
    }


def scheduler_config(shapes: Shapes, family: ModelFamily) -> dict[str, Any]:
    """The training noise schedule shared by SD1.x and SDXL (as an Euler scheduler config)."""
    config: dict[str, Any] = {
        "_class_name": "EulerDiscreteScheduler",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "interpolation_type": "linear",
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "sample_max_value": 1.0,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "timestep_spacing": "leading",
        "trained_betas": None,
        "use_karras_sigmas": False,
    }
    if V_PREDICTION_MARKER in shapes:
        config["prediction_type"] = "v_prediction"
    if ZERO_TERMINAL_SNR_MARKER in shapes:
        config["rescale_betas_zero_snr"] = True
    return config
