"""Tiny random-weight SD1.x / SDXL checkpoints in the original single-file layout, for tests.

The models are real diffusers / transformers models (UNet, VAE, CLIP text encoders) with very
small widths, every parameter filled from a seeded generator, then written under the LDM names
that A1111 / ComfyUI checkpoints use. Loading them exercises exactly the code path a real
checkpoint takes.

Weights are stored as float16 (like most published checkpoints); the in-memory models returned by
:func:`tiny_models` hold the same float16-rounded values in float32, so a loaded checkpoint can be
compared with them exactly.

SDXL's two text encoders get different widths on purpose: diffusers tells them apart by width, and
equal widths would silently load the first encoder's weights into the second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from safetensors.torch import save_file

from gaze.engines.local.ldm_key_names import (
    SD1_CLIP_PREFIX,
    SDXL_CLIP_L_PREFIX,
    SDXL_OPEN_CLIP_PREFIX,
    clip_to_ldm,
    open_clip_to_ldm,
    unet_to_ldm,
    vae_to_ldm,
)

TinyKind = Literal["sd1", "sdxl"]
STORAGE_DTYPE = torch.float16
CLIP_VOCAB = 49408
CLIP_POSITIONS = 77
INPAINT_UNET_CHANNELS = 9

TINY_VAE_CONFIG: dict[str, Any] = {
    "block_out_channels": (32, 32, 32, 32),
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "layers_per_block": 1,
    "latent_channels": 4,
    "norm_num_groups": 32,
}

TINY_SD1_UNET_CONFIG: dict[str, Any] = {
    "sample_size": 64,
    "block_out_channels": (32, 64),
    "layers_per_block": 1,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    "cross_attention_dim": 32,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
}
TINY_SD1_TEXT_CONFIG: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 1,
    "projection_dim": 32,
    "hidden_act": "quick_gelu",
}

TINY_SDXL_TEXT_CONFIG: dict[str, Any] = {
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_hidden_layers": 3,
    "num_attention_heads": 1,
    "projection_dim": 16,
    "hidden_act": "quick_gelu",
}
TINY_SDXL_TEXT_2_CONFIG: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 3,
    "num_attention_heads": 1,
    "projection_dim": 24,
    "hidden_act": "gelu",
}
TINY_SDXL_ADD_TIME_DIM = 8
TINY_SDXL_UNET_CONFIG: dict[str, Any] = {
    "sample_size": 128,
    "block_out_channels": (32, 64),
    "layers_per_block": 1,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    "transformer_layers_per_block": (1, 2),
    "attention_head_dim": (1, 1),
    "use_linear_projection": True,
    "cross_attention_dim": TINY_SDXL_TEXT_CONFIG["hidden_size"]
    + TINY_SDXL_TEXT_2_CONFIG["hidden_size"],
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": TINY_SDXL_ADD_TIME_DIM,
    "projection_class_embeddings_input_dim": TINY_SDXL_TEXT_2_CONFIG["projection_dim"]
    + 6 * TINY_SDXL_ADD_TIME_DIM,
    "norm_num_groups": 32,
}


@dataclass
class TinyModels:
    """The in-memory models a tiny checkpoint is written from (float32, float16-exact values)."""

    kind: TinyKind
    unet: Any  # diffusers UNet2DConditionModel
    vae: Any  # diffusers AutoencoderKL
    text_encoder: Any  # transformers CLIPTextModel
    text_encoder_2: Any | None  # transformers CLIPTextModelWithProjection (SDXL)


def _clip_config(overrides: dict[str, Any]) -> Any:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=CLIP_VOCAB,
        max_position_embeddings=CLIP_POSITIONS,
        bos_token_id=0,
        eos_token_id=2,
        pad_token_id=1,
        **overrides,
    )


def _fill_seeded(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Overwrite every parameter with seeded random values (all distinct, none zero-initialised).

    Matrices and kernels get a fan-in-scaled normal, norm scales ``1 + small noise``, biases and
    other vectors small noise: random, yet numerically tame enough to sample from.
    """
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
            if parameter.ndim >= 2:
                fan_in = parameter[0].numel()
                values = noise / math.sqrt(fan_in)
            elif name.endswith("weight"):
                values = 1.0 + 0.05 * noise
            else:
                values = 0.05 * noise
            parameter.copy_(values.to(STORAGE_DTYPE).to(torch.float32))


def tiny_models(kind: TinyKind, seed: int = 0, *, inpainting: bool = False) -> TinyModels:
    """Build the tiny models of ``kind`` with weights drawn from ``seed`` (deterministic);
    ``inpainting``: a 9-channel UNet, as inpainting checkpoints have (latent, mask, masked
    image)."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    if kind not in ("sd1", "sdxl"):
        raise ValueError(f"unknown tiny checkpoint kind {kind!r}")
    generator = torch.Generator().manual_seed(seed)
    unet_channels = INPAINT_UNET_CHANNELS if inpainting else 4
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = AutoencoderKL(
            **TINY_VAE_CONFIG,
            scaling_factor=0.18215 if kind == "sd1" else 0.13025,
        )
        text_encoder_2: Any | None = None
        if kind == "sd1":
            unet = UNet2DConditionModel(**TINY_SD1_UNET_CONFIG, in_channels=unet_channels)
            text_encoder = CLIPTextModel(_clip_config(TINY_SD1_TEXT_CONFIG))
        else:
            unet = UNet2DConditionModel(**TINY_SDXL_UNET_CONFIG, in_channels=unet_channels)
            text_encoder = CLIPTextModel(_clip_config(TINY_SDXL_TEXT_CONFIG))
            text_encoder_2 = CLIPTextModelWithProjection(_clip_config(TINY_SDXL_TEXT_2_CONFIG))
    models: list[Any] = [unet, vae, text_encoder]
    if text_encoder_2 is not None:
        models.append(text_encoder_2)
    for model in models:
        _fill_seeded(model, generator)
        model.eval()
    return TinyModels(kind, unet, vae, text_encoder, text_encoder_2)


def ldm_state_dict(models: TinyModels) -> dict[str, torch.Tensor]:
    """The models' weights under the original single-file (LDM) names."""
    layers_per_block = int(models.unet.config.layers_per_block)
    num_vae_blocks = len(models.vae.config.block_out_channels)
    state = unet_to_ldm(models.unet.state_dict(), layers_per_block)
    state.update(vae_to_ldm(models.vae.state_dict(), num_vae_blocks))
    if models.kind == "sd1":
        state.update(clip_to_ldm(models.text_encoder.state_dict(), SD1_CLIP_PREFIX))
    else:
        assert models.text_encoder_2 is not None
        state.update(clip_to_ldm(models.text_encoder.state_dict(), SDXL_CLIP_L_PREFIX))
        state.update(open_clip_to_ldm(models.text_encoder_2.state_dict(), SDXL_OPEN_CLIP_PREFIX))
    return state


def _save(state: dict[str, torch.Tensor], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {
        name: tensor.detach().to(STORAGE_DTYPE).contiguous() for name, tensor in state.items()
    }
    save_file(stored, str(path), metadata={"format": "pt"})
    return path


def write_tiny_checkpoint(
    path: Path, kind: TinyKind, seed: int = 0, *, inpainting: bool = False
) -> Path:
    """Write a tiny random ``kind`` checkpoint (a few MB) at ``path`` and return the path."""
    return _save(ldm_state_dict(tiny_models(kind, seed, inpainting=inpainting)), path)


def write_tiny_vae(path: Path, kind: TinyKind = "sd1", seed: int = 0) -> Path:
    """Write a standalone tiny VAE file (LDM names, no prefix), as VAE downloads are laid out."""
    vae = tiny_models(kind, seed).vae
    state = vae_to_ldm(vae.state_dict(), len(vae.config.block_out_channels), prefix="")
    return _save(state, path)
