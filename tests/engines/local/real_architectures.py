"""The published SD1.5 and SDXL architectures, built on the meta device (shapes, no memory).

Used to check config inference and diffusers' single-file conversion against full-size models
without materialising their weights (SDXL alone is about 3.5 billion parameters).
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from gaze.engines.local.ldm_key_names import (
    SD1_CLIP_PREFIX,
    SDXL_CLIP_L_PREFIX,
    SDXL_OPEN_CLIP_PREFIX,
    clip_to_ldm,
    open_clip_to_ldm,
    unet_to_ldm,
    vae_to_ldm,
)

SD15_UNET: dict[str, Any] = {
    "block_out_channels": [320, 640, 1280, 1280],
    "layers_per_block": 2,
    "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
    "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "sample_size": 64,
}
SDXL_UNET: dict[str, Any] = {
    "block_out_channels": [320, 640, 1280],
    "layers_per_block": 2,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "cross_attention_dim": 2048,
    "attention_head_dim": [5, 10, 20],
    "transformer_layers_per_block": [1, 2, 10],
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
    "sample_size": 128,
}
STANDARD_VAE: dict[str, Any] = {
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "layers_per_block": 2,
    "latent_channels": 4,
}
CLIP_L: dict[str, Any] = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "hidden_act": "quick_gelu",
    "max_position_embeddings": 77,
    "vocab_size": 49408,
}
CLIP_BIG_G: dict[str, Any] = {
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_hidden_layers": 32,
    "num_attention_heads": 20,
    "hidden_act": "gelu",
    "projection_dim": 1280,
    "max_position_embeddings": 77,
    "vocab_size": 49408,
}

# Tensors published checkpoints carry besides the weights (CLIP-L's position ids buffer, the
# OpenCLIP model's contrastive logit scale).
SD15_EXTRAS = {f"{SD1_CLIP_PREFIX}text_model.embeddings.position_ids": (1, 77)}
SDXL_EXTRAS = {
    f"{SDXL_CLIP_L_PREFIX}text_model.embeddings.position_ids": (1, 77),
    f"{SDXL_OPEN_CLIP_PREFIX}logit_scale": (),
}


def real_models(family: str) -> dict[str, torch.nn.Module]:
    """The full-size models of ``family`` (``sd1`` = SD1.5, ``sdxl``) on the meta device."""
    with torch.device("meta"):
        models: dict[str, Any] = {
            "unet": UNet2DConditionModel(**(SD15_UNET if family == "sd1" else SDXL_UNET)),
            "vae": AutoencoderKL(**STANDARD_VAE),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**CLIP_L)),
        }
        if family == "sdxl":
            models["text_encoder_2"] = CLIPTextModelWithProjection(CLIPTextConfig(**CLIP_BIG_G))
    return models


def real_ldm_state_dict(family: str, extras: bool = False) -> dict[str, torch.Tensor]:
    """The full-size checkpoint of ``family`` in the original single-file layout (meta tensors).

    With ``extras``, also the non-weight tensors published files carry (see ``SD15_EXTRAS``).
    """
    models = real_models(family)
    state = unet_to_ldm(models["unet"].state_dict(), 2)
    state.update(vae_to_ldm(models["vae"].state_dict(), 4))
    if family == "sd1":
        state.update(clip_to_ldm(models["text_encoder"].state_dict(), SD1_CLIP_PREFIX))
    else:
        state.update(clip_to_ldm(models["text_encoder"].state_dict(), SDXL_CLIP_L_PREFIX))
        state.update(open_clip_to_ldm(models["text_encoder_2"].state_dict()))
    # Independent tensors, as read from a file (the translation leaves some as views).
    state = {
        name: torch.empty(tensor.shape, dtype=tensor.dtype, device="meta")
        for name, tensor in state.items()
    }
    if extras:
        for name, shape in (SD15_EXTRAS if family == "sd1" else SDXL_EXTRAS).items():
            dtype = torch.int64 if name.endswith("position_ids") else torch.float32
            state[name] = torch.empty(shape, dtype=dtype, device="meta")
    return state
