"""Tiny LoRAs for the tiny test checkpoints, in the file layouts people download.

One set of LoRA layers (:func:`tiny_lora_layers`: for each adapted module its down / up matrices
and alpha) can be written in three namings, so that tests can check that each is read into the
same effect on the model:

- ``kohya``: ``lora_unet_*`` / ``lora_te_*`` (SD1.x) / ``lora_te1_*`` + ``lora_te2_*`` (SDXL),
  ``.lora_down.weight``, ``.lora_up.weight`` and ``.alpha``, as kohya's sd-scripts, A1111 and
  ComfyUI write them. SD1.x UNet modules are named by their diffusers path, SDXL ones by their
  original (LDM) path, as sd-scripts does;
- ``peft``: diffusers' current format, ``unet.<module>.lora_A.weight`` / ``lora_B.weight``, with
  the adapter config (rank, alpha, targets) in the file's ``lora_adapter_metadata``;
- ``diffusers``: the older format diffusers' training scripts saved, ``<module>.lora.down.weight``
  (``lora_linear_layer`` for the text encoders), without alpha (alpha = rank).

The layers cover what LoRA trainers adapt: attention projections, ``proj_in`` / ``proj_out``, the
feed-forward layers, the text encoders' attention and MLP, and (LoCon-style) the UNet resnets'
convolutions and time embedding projections.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from safetensors.torch import save_file

from gaze.engines.local.ldm_key_names import unet_to_ldm
from gaze.engines.local.tiny_checkpoint import STORAGE_DTYPE, TinyKind, TinyModels, tiny_models

LoraNaming = Literal["kohya", "peft", "diffusers"]
LORA_NAMINGS: tuple[LoraNaming, ...] = ("kohya", "peft", "diffusers")
LORA_RANK = 4
LORA_ALPHA = 2.0
"""alpha / rank = 0.5: the scale a loader must apply for kohya and peft files."""

UNET_TARGETS = (
    "attn1.to_q",
    "attn1.to_k",
    "attn1.to_v",
    "attn1.to_out.0",
    "attn2.to_q",
    "attn2.to_k",
    "attn2.to_v",
    "attn2.to_out.0",
    "proj_in",
    "proj_out",
    "ff.net.0.proj",
    "ff.net.2",
    "conv1",
    "conv2",
    "time_emb_proj",
)
TEXT_TARGETS = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.out_proj",
    "mlp.fc1",
    "mlp.fc2",
)
PEFT_TARGETS = (
    "to_q",
    "to_k",
    "to_v",
    "to_out.0",
    "proj_in",
    "proj_out",
    "ff.net.0.proj",
    "ff.net.2",
    "conv1",
    "conv2",
    "time_emb_proj",
    "q_proj",
    "k_proj",
    "v_proj",
    "out_proj",
    "fc1",
    "fc2",
)
"""``target_modules`` as training scripts write them: module name suffixes."""
_KOHYA_TEXT_PREFIXES = {
    ("sd1", "text_encoder"): "lora_te",
    ("sdxl", "text_encoder"): "lora_te1",
    ("sdxl", "text_encoder_2"): "lora_te2",
}


@dataclass(frozen=True)
class TinyLoraLayer:
    """One adapted module: ``output += scale * up(down(input))`` with ``scale = alpha / rank``."""

    component: str
    """``unet``, ``text_encoder`` or ``text_encoder_2``."""
    module: str
    """The module's path in the loaded pipeline's component."""
    down: torch.Tensor
    """``[rank, in]`` (linear) or ``[rank, in, kh, kw]`` (convolution)."""
    up: torch.Tensor
    """``[out, rank]`` or ``[out, rank, 1, 1]``."""
    alpha: float

    @property
    def scale(self) -> float:
        return self.alpha / self.down.shape[0]


def _components(models: TinyModels) -> dict[str, torch.nn.Module]:
    components: dict[str, torch.nn.Module] = {
        "unet": models.unet,
        "text_encoder": models.text_encoder,
    }
    if models.text_encoder_2 is not None:
        components["text_encoder_2"] = models.text_encoder_2
    return components


def _down_up(
    layer: torch.nn.Module, rank: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    if isinstance(layer, torch.nn.Conv2d):
        kernel = tuple(layer.kernel_size)
        down = torch.randn((rank, layer.in_channels, *kernel), generator=generator)
        up = torch.randn((layer.out_channels, rank, 1, 1), generator=generator)
        fan_in = layer.in_channels * kernel[0] * kernel[1]
    else:
        assert isinstance(layer, torch.nn.Linear)
        down = torch.randn((rank, layer.in_features), generator=generator)
        up = torch.randn((layer.out_features, rank), generator=generator)
        fan_in = layer.in_features
    # Stored as float16, like published LoRAs; kept here with the float16-rounded values.
    down = (down / math.sqrt(fan_in)).to(STORAGE_DTYPE).float()
    up = (up * 0.5).to(STORAGE_DTYPE).float()
    return down, up


def tiny_lora_layers(
    kind: TinyKind,
    seed: int = 0,
    components: tuple[str, ...] = ("unet", "text_encoder", "text_encoder_2"),
    rank: int = LORA_RANK,
    alpha: float = LORA_ALPHA,
) -> list[TinyLoraLayer]:
    """Random LoRA layers for the tiny ``kind`` models, drawn from ``seed`` (deterministic)."""
    generator = torch.Generator().manual_seed(seed)
    layers: list[TinyLoraLayer] = []
    for component, model in _components(tiny_models(kind, 0)).items():
        if component not in components:
            continue
        targets = UNET_TARGETS if component == "unet" else TEXT_TARGETS
        for name, module in sorted(model.named_modules()):
            if not name.endswith(targets) or not isinstance(
                module, torch.nn.Linear | torch.nn.Conv2d
            ):
                continue
            down, up = _down_up(module, rank, generator)
            layers.append(TinyLoraLayer(component, name, down, up, alpha))
    return layers


def _file_module_name(layer: TinyLoraLayer) -> str:
    """The module path as LoRA files spell it (text encoders always under ``text_model.``)."""
    if layer.component != "unet" and not layer.module.startswith("text_model."):
        return f"text_model.{layer.module}"
    return layer.module


def _kohya_name(layer: TinyLoraLayer, kind: TinyKind, layers_per_block: int) -> str:
    if layer.component != "unet":
        prefix = _KOHYA_TEXT_PREFIXES[(kind, layer.component)]
        return f"{prefix}_" + _file_module_name(layer).replace(".", "_")
    module = layer.module
    if kind == "sdxl":
        (ldm_key,) = unet_to_ldm({f"{module}.weight": torch.empty(0)}, layers_per_block)
        module = ldm_key.removeprefix("model.diffusion_model.").removesuffix(".weight")
    return "lora_unet_" + module.replace(".", "_")


def kohya_state_dict(layers: list[TinyLoraLayer], kind: TinyKind) -> dict[str, torch.Tensor]:
    """The layers under kohya / A1111 names, with one ``.alpha`` per module."""
    layers_per_block = int(tiny_models(kind, 0).unet.config.layers_per_block)
    state: dict[str, torch.Tensor] = {}
    for layer in layers:
        name = _kohya_name(layer, kind, layers_per_block)
        state[f"{name}.lora_down.weight"] = layer.down
        state[f"{name}.lora_up.weight"] = layer.up
        state[f"{name}.alpha"] = torch.tensor(layer.alpha)
    return state


def peft_state_dicts(layers: list[TinyLoraLayer]) -> dict[str, dict[str, torch.Tensor]]:
    """Per component, the layers under peft names (``<module>.lora_A.weight``)."""
    per_component: dict[str, dict[str, torch.Tensor]] = {}
    for layer in layers:
        state = per_component.setdefault(layer.component, {})
        name = _file_module_name(layer)
        state[f"{name}.lora_A.weight"] = layer.down
        state[f"{name}.lora_B.weight"] = layer.up
    return per_component


def _adapter_metadata(layers: list[TinyLoraLayer]) -> dict[str, object]:
    """The adapter config diffusers' training scripts store: rank, alpha and target suffixes."""
    from peft import LoraConfig

    ranks = {layer.down.shape[0] for layer in layers}
    alphas = {layer.alpha for layer in layers}
    if len(ranks) != 1 or len(alphas) != 1:
        raise ValueError("peft metadata here describes one rank and one alpha per component")
    suffixes = sorted(
        {suffix for layer in layers for suffix in PEFT_TARGETS if layer.module.endswith(suffix)}
    )
    alpha = alphas.pop()
    if not alpha.is_integer():
        raise ValueError(f"peft's LoraConfig takes a whole-number alpha, not {alpha}")
    config = LoraConfig(r=ranks.pop(), lora_alpha=int(alpha), target_modules=suffixes)
    return config.to_dict()


def _save_with_diffusers(
    per_component: dict[str, dict[str, torch.Tensor]],
    metadata: dict[str, dict[str, object]] | None,
    kind: TinyKind,
    path: Path,
) -> None:
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    pipeline_class = StableDiffusionPipeline if kind == "sd1" else StableDiffusionXLPipeline
    arguments: dict[str, object] = {
        f"{component}_lora_layers": {
            name: tensor.to(STORAGE_DTYPE).contiguous() for name, tensor in state.items()
        }
        for component, state in per_component.items()
    }
    if metadata is not None:
        arguments.update(
            {f"{component}_lora_adapter_metadata": value for component, value in metadata.items()}
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as staging:
        pipeline_class.save_lora_weights(staging, weight_name=path.name, **arguments)
        (Path(staging) / path.name).replace(path)


def _legacy_diffusers_name(name: str, component: str) -> str:
    """``lora_A`` / ``lora_B`` as diffusers' older files spell them, for every module."""
    layer = "lora" if component == "unet" else "lora_linear_layer"
    return name.replace(".lora_A.", f".{layer}.down.").replace(".lora_B.", f".{layer}.up.")


def write_lora_file(
    path: Path,
    layers: list[TinyLoraLayer],
    kind: TinyKind,
    naming: LoraNaming = "kohya",
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write ``layers`` as a ``.safetensors`` LoRA in ``naming`` (see the module docstring).

    ``metadata`` (kohya naming only) adds header strings such as kohya's ``ss_*`` keys.
    """
    if metadata is not None and naming != "kohya":
        raise ValueError("extra header metadata is written for the kohya naming only")
    if naming == "kohya":
        state = kohya_state_dict(layers, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(
            {name: tensor.to(STORAGE_DTYPE).contiguous() for name, tensor in state.items()},
            str(path),
            metadata={"format": "pt", **(metadata or {})},
        )
        return path
    per_component = peft_state_dicts(layers)
    if naming == "peft":
        metadata = {
            component: _adapter_metadata(
                [layer for layer in layers if layer.component == component]
            )
            for component in per_component
        }
        _save_with_diffusers(per_component, metadata, kind, path)
        return path
    if naming == "diffusers":
        if any(layer.alpha != layer.down.shape[0] for layer in layers):
            raise ValueError("the diffusers naming stores no alpha: use alpha == rank")
        legacy = {
            component: {
                _legacy_diffusers_name(name, component): tensor for name, tensor in state.items()
            }
            for component, state in per_component.items()
        }
        _save_with_diffusers(legacy, None, kind, path)
        return path
    raise ValueError(f"unknown LoRA naming {naming!r}")


def write_tiny_lora(
    path: Path,
    kind: TinyKind,
    seed: int = 0,
    naming: LoraNaming = "kohya",
    components: tuple[str, ...] = ("unet", "text_encoder", "text_encoder_2"),
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write a tiny LoRA for the ``kind`` models (alpha = rank for the ``diffusers`` naming)."""
    alpha = float(LORA_RANK) if naming == "diffusers" else LORA_ALPHA
    layers = tiny_lora_layers(kind, seed, components, alpha=alpha)
    return write_lora_file(path, layers, kind, naming, metadata)


def kohya_training_metadata(
    kind: TinyKind, tag_frequency: dict[str, dict[str, int]] | None = None
) -> dict[str, str]:
    """Header strings as kohya's sd-scripts writes them when training a LoRA for ``kind``."""
    return {
        "ss_base_model_version": "sdxl_base_v1-0" if kind == "sdxl" else "sd_v1",
        "ss_sd_model_name": f"tiny-{kind}.safetensors",
        "ss_network_dim": str(LORA_RANK),
        "ss_network_alpha": str(LORA_ALPHA),
        "ss_resolution": "(1024, 1024)" if kind == "sdxl" else "(512, 512)",
        "ss_output_name": f"tiny-{kind}-lora",
        "ss_tag_frequency": json.dumps(
            tag_frequency or {"1_gazestyle": {"gazestyle": 12, "1girl": 9, "watercolor": 4}}
        ),
    }
