"""Translate diffusers / transformers state dicts to the original (LDM) single-file key names.

This is the inverse of what diffusers' single-file loader does, used to *write* checkpoints in the
layout that A1111, ComfyUI and the model hubs distribute (``model.diffusion_model.*``,
``first_stage_model.*``, ``cond_stage_model.*`` / ``conditioner.embedders.*``). Loading never goes
through this module: diffusers' own conversion reads the written files.

Functions take a state dict (names -> tensors; meta tensors work, only shapes are touched for
reshapes) and return a new dict with LDM names and the LDM tensor layouts:

- the VAE's attention projections are 1x1 convolutions (``[C, C, 1, 1]``) in LDM, linear in
  diffusers;
- OpenCLIP fuses the attention's q, k and v projections into one ``in_proj`` tensor and stores the
  text projection transposed (``[width, projection_dim]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
SD1_CLIP_PREFIX = "cond_stage_model.transformer."
SDXL_CLIP_L_PREFIX = "conditioner.embedders.0.transformer."
SDXL_OPEN_CLIP_PREFIX = "conditioner.embedders.1.model."

_UNET_RESNET_PARTS = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "time_emb_proj": "emb_layers.1",
    "conv_shortcut": "skip_connection",
}
_UNET_TOP_LEVEL = {
    "conv_in": "input_blocks.0.0",
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "add_embedding.linear_1": "label_emb.0.0",
    "add_embedding.linear_2": "label_emb.0.2",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_VAE_RESNET_PARTS = {"conv_shortcut": "nin_shortcut"}
_VAE_ATTENTION_PARTS = {
    "group_norm": "norm",
    "to_q": "q",
    "to_k": "k",
    "to_v": "v",
    "to_out.0": "proj_out",
}
_CLIP_LAYER_PARTS = {
    "self_attn.out_proj": "attn.out_proj",
    "layer_norm1": "ln_1",
    "layer_norm2": "ln_2",
    "mlp.fc1": "mlp.c_fc",
    "mlp.fc2": "mlp.c_proj",
}


class KeyTranslationError(ValueError):
    """A state dict holds a name this translator does not know how to place."""


def _split_module_and_param(name: str) -> tuple[str, str]:
    module, _, param = name.rpartition(".")
    return module, param


def _rename_part(part: str, table: Mapping[str, str]) -> str:
    return table.get(part, part)


def unet_to_ldm(
    state: Mapping[str, torch.Tensor], layers_per_block: int
) -> dict[str, torch.Tensor]:
    """A diffusers ``UNet2DConditionModel`` state dict under LDM names (with the UNet prefix)."""
    up_blocks_with_attention = {
        int(match.group(1))
        for name in state
        if (match := re.match(r"up_blocks\.(\d+)\.attentions\.", name))
    }
    out: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        out[UNET_PREFIX + _unet_key(name, layers_per_block, up_blocks_with_attention)] = tensor
    return out


def _unet_key(name: str, layers_per_block: int, up_blocks_with_attention: set[int]) -> str:
    module, param = _split_module_and_param(name)
    if module in _UNET_TOP_LEVEL:
        return f"{_UNET_TOP_LEVEL[module]}.{param}"
    stride = layers_per_block + 1

    if match := re.fullmatch(r"down_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)", module):
        block, layer, part = int(match[1]), int(match[2]), match[3]
        return f"input_blocks.{1 + block * stride + layer}.0.{_UNET_RESNET_PARTS[part]}.{param}"
    if match := re.fullmatch(r"down_blocks\.(\d+)\.attentions\.(\d+)\.(.+)", module):
        block, layer, rest = int(match[1]), int(match[2]), match[3]
        return f"input_blocks.{1 + block * stride + layer}.1.{rest}.{param}"
    if match := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv", module):
        block = int(match[1])
        return f"input_blocks.{1 + block * stride + layers_per_block}.0.op.{param}"

    if match := re.fullmatch(r"mid_block\.resnets\.(\d+)\.(\w+)", module):
        index, part = int(match[1]), match[2]
        return f"middle_block.{2 * index}.{_UNET_RESNET_PARTS[part]}.{param}"
    if match := re.fullmatch(r"mid_block\.attentions\.0\.(.+)", module):
        return f"middle_block.1.{match[1]}.{param}"

    if match := re.fullmatch(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)", module):
        block, layer, part = int(match[1]), int(match[2]), match[3]
        return f"output_blocks.{block * stride + layer}.0.{_UNET_RESNET_PARTS[part]}.{param}"
    if match := re.fullmatch(r"up_blocks\.(\d+)\.attentions\.(\d+)\.(.+)", module):
        block, layer, rest = int(match[1]), int(match[2]), match[3]
        return f"output_blocks.{block * stride + layer}.1.{rest}.{param}"
    if match := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv", module):
        block = int(match[1])
        slot = 2 if block in up_blocks_with_attention else 1
        return f"output_blocks.{block * stride + layers_per_block}.{slot}.conv.{param}"

    raise KeyTranslationError(f"no LDM name for UNet key {name!r}")


def vae_to_ldm(
    state: Mapping[str, torch.Tensor], num_blocks: int, prefix: str = VAE_PREFIX
) -> dict[str, torch.Tensor]:
    """A diffusers ``AutoencoderKL`` state dict under LDM names (``prefix`` + LDM VAE name).

    ``prefix`` is ``first_stage_model.`` inside a full checkpoint and empty for a standalone VAE
    file.
    """
    out: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        key, is_attention_weight = _vae_key(name, num_blocks)
        if is_attention_weight and tensor.ndim == 2:
            tensor = tensor.reshape(*tensor.shape, 1, 1)
        out[prefix + key] = tensor
    return out


def _vae_key(name: str, num_blocks: int) -> tuple[str, bool]:
    module, param = _split_module_and_param(name)
    if module in ("quant_conv", "post_quant_conv"):
        return name, False
    coder, _, rest = module.partition(".")
    if coder not in ("encoder", "decoder"):
        raise KeyTranslationError(f"no LDM name for VAE key {name!r}")
    if rest in ("conv_in", "conv_out"):
        return name, False
    if rest == "conv_norm_out":
        return f"{coder}.norm_out.{param}", False

    if match := re.fullmatch(r"mid_block\.resnets\.(\d+)\.(\w+)", rest):
        index, part = int(match[1]), match[2]
        return (
            f"{coder}.mid.block_{index + 1}.{_rename_part(part, _VAE_RESNET_PARTS)}.{param}",
            False,
        )
    if match := re.fullmatch(r"mid_block\.attentions\.0\.(.+)", rest):
        part = match[1]
        renamed = _VAE_ATTENTION_PARTS.get(part)
        if renamed is None:
            raise KeyTranslationError(f"no LDM name for VAE key {name!r}")
        return f"{coder}.mid.attn_1.{renamed}.{param}", part != "group_norm" and param == "weight"

    if match := re.fullmatch(r"down_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)", rest):
        block, layer, part = int(match[1]), int(match[2]), match[3]
        renamed = _rename_part(part, _VAE_RESNET_PARTS)
        return f"{coder}.down.{block}.block.{layer}.{renamed}.{param}", False
    if match := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv", rest):
        return f"{coder}.down.{int(match[1])}.downsample.conv.{param}", False

    # The decoder's up blocks are numbered from the lowest resolution in diffusers and from the
    # highest in LDM.
    if match := re.fullmatch(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)", rest):
        block, layer, part = num_blocks - 1 - int(match[1]), int(match[2]), match[3]
        renamed = _rename_part(part, _VAE_RESNET_PARTS)
        return f"{coder}.up.{block}.block.{layer}.{renamed}.{param}", False
    if match := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv", rest):
        block = num_blocks - 1 - int(match[1])
        return f"{coder}.up.{block}.upsample.conv.{param}", False

    raise KeyTranslationError(f"no LDM name for VAE key {name!r}")


def clip_to_ldm(state: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """A transformers ``CLIPTextModel`` state dict under the HF-named LDM keys.

    The LDM checkpoints keep transformers' own names under ``<prefix>text_model.``; recent
    transformers versions drop the ``text_model.`` level from ``CLIPTextModel``, so it is added
    back when missing.
    """
    out: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        if name.endswith("position_ids"):
            continue
        if name.startswith("text_projection."):
            raise KeyTranslationError("CLIP-L in LDM checkpoints has no text projection")
        inner = name if name.startswith("text_model.") else f"text_model.{name}"
        out[prefix + inner] = tensor
    return out


def open_clip_to_ldm(
    state: Mapping[str, torch.Tensor], prefix: str = SDXL_OPEN_CLIP_PREFIX
) -> dict[str, torch.Tensor]:
    """A transformers ``CLIPTextModelWithProjection`` state dict in OpenCLIP's naming and layout."""
    plain = {name.removeprefix("text_model."): tensor for name, tensor in state.items()}
    out: dict[str, torch.Tensor] = {}
    fused: dict[tuple[int, str], dict[str, torch.Tensor]] = {}
    for name, tensor in plain.items():
        if name.endswith("position_ids"):
            continue
        if name == "embeddings.token_embedding.weight":
            out[prefix + "token_embedding.weight"] = tensor
        elif name == "embeddings.position_embedding.weight":
            out[prefix + "positional_embedding"] = tensor
        elif name.startswith("final_layer_norm."):
            out[prefix + "ln_final." + name.rpartition(".")[2]] = tensor
        elif name == "text_projection.weight":
            out[prefix + "text_projection"] = tensor.T.contiguous()
        elif match := re.fullmatch(r"encoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(\w+)", name):
            fused.setdefault((int(match[1]), match[3]), {})[match[2]] = tensor
        elif match := re.fullmatch(r"encoder\.layers\.(\d+)\.(.+)\.(\w+)", name):
            layer, module, param = int(match[1]), match[2], match[3]
            if module not in _CLIP_LAYER_PARTS:
                raise KeyTranslationError(f"no OpenCLIP name for {name!r}")
            out[f"{prefix}transformer.resblocks.{layer}.{_CLIP_LAYER_PARTS[module]}.{param}"] = (
                tensor
            )
        else:
            raise KeyTranslationError(f"no OpenCLIP name for {name!r}")
    for (layer, param), parts in sorted(fused.items()):
        if set(parts) != {"q", "k", "v"}:
            raise KeyTranslationError(f"layer {layer} lacks one of q/k/v {param}")
        key = f"{prefix}transformer.resblocks.{layer}.attn.in_proj_{param}"
        out[key] = torch.cat([parts["q"], parts["k"], parts["v"]], dim=0)
    return out
