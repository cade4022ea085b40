"""The node types the stand-in knows, described the way ComfyUI describes them.

Each input is a ComfyUI ``INPUT_TYPES`` entry: ``(type, options)`` where ``type`` is a
string (``"INT"``, ``"MODEL"``...) or a list of allowed values (a combo). Model combos
are filled from the stand-in's model folders when the catalog is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_RESOLUTION = 16384
MAX_SEED = 0xFFFFFFFFFFFFFFFF

SAMPLER_NAMES: list[str] = [
    "euler",
    "euler_cfg_pp",
    "euler_ancestral",
    "euler_ancestral_cfg_pp",
    "heun",
    "heunpp2",
    "dpm_2",
    "dpm_2_ancestral",
    "lms",
    "dpm_fast",
    "dpm_adaptive",
    "dpmpp_2s_ancestral",
    "dpmpp_2s_ancestral_cfg_pp",
    "dpmpp_sde",
    "dpmpp_sde_gpu",
    "dpmpp_2m",
    "dpmpp_2m_cfg_pp",
    "dpmpp_2m_sde",
    "dpmpp_2m_sde_gpu",
    "dpmpp_3m_sde",
    "dpmpp_3m_sde_gpu",
    "ddpm",
    "lcm",
    "ipndm",
    "ipndm_v",
    "deis",
    "res_multistep",
    "res_multistep_cfg_pp",
    "res_multistep_ancestral",
    "res_multistep_ancestral_cfg_pp",
    "gradient_estimation",
    "er_sde",
    "seeds_2",
    "seeds_3",
    "ddim",
    "uni_pc",
    "uni_pc_bh2",
]

SCHEDULER_NAMES: list[str] = [
    "simple",
    "sgm_uniform",
    "karras",
    "exponential",
    "ddim_uniform",
    "beta",
    "normal",
    "linear_quadratic",
    "kl_optimal",
]

MODEL_FOLDERS: tuple[str, ...] = (
    "checkpoints",
    "loras",
    "vae",
    "clip",
    "clip_vision",
    "controlnet",
    "embeddings",
    "upscale_models",
    "diffusion_models",
)

InputSpec = tuple[Any, dict[str, Any]]


@dataclass(frozen=True)
class NodeType:
    name: str
    display_name: str
    category: str
    required: dict[str, InputSpec]
    return_types: tuple[str, ...]
    optional: dict[str, InputSpec] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    output_node: bool = False
    description: str = ""

    def input_spec(self, input_name: str) -> InputSpec | None:
        return self.required.get(input_name) or self.optional.get(input_name)

    def object_info(self) -> dict[str, Any]:
        """This node as ``GET /object_info`` shows it."""
        inputs: dict[str, Any] = {"required": _jsonable(self.required)}
        if self.optional:
            inputs["optional"] = _jsonable(self.optional)
        if self.hidden:
            inputs["hidden"] = dict(self.hidden)
        return {
            "input": inputs,
            "input_order": {key: list(value) for key, value in inputs.items()},
            "output": list(self.return_types),
            "output_is_list": [False] * len(self.return_types),
            "output_name": list(self.return_types),
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "python_module": "nodes",
            "category": self.category,
            "output_node": self.output_node,
        }


def _jsonable(inputs: Mapping[str, InputSpec]) -> dict[str, list[Any]]:
    return {name: [kind, dict(options)] for name, (kind, options) in inputs.items()}


def _int(default: int, minimum: int, maximum: int, step: int = 1) -> InputSpec:
    return ("INT", {"default": default, "min": minimum, "max": maximum, "step": step})


def _float(default: float, minimum: float, maximum: float, step: float = 0.01) -> InputSpec:
    return ("FLOAT", {"default": default, "min": minimum, "max": maximum, "step": step})


def _sampler_inputs() -> dict[str, InputSpec]:
    return {
        "cfg": _float(8.0, 0.0, 100.0, 0.1),
        "sampler_name": (list(SAMPLER_NAMES), {}),
        "scheduler": (list(SCHEDULER_NAMES), {}),
        "positive": ("CONDITIONING", {}),
        "negative": ("CONDITIONING", {}),
        "latent_image": ("LATENT", {}),
    }


def build_catalog(models: Mapping[str, list[str]]) -> dict[str, NodeType]:
    """Every node type, with model combos listing the files in ``models``."""

    def files(folder: str) -> list[str]:
        return list(models.get(folder, []))

    nodes = [
        NodeType(
            name="CheckpointLoaderSimple",
            display_name="Load Checkpoint",
            category="loaders",
            required={"ckpt_name": (files("checkpoints"), {})},
            return_types=("MODEL", "CLIP", "VAE"),
        ),
        NodeType(
            name="LoraLoader",
            display_name="Load LoRA",
            category="loaders",
            required={
                "model": ("MODEL", {}),
                "clip": ("CLIP", {}),
                "lora_name": (files("loras"), {}),
                "strength_model": _float(1.0, -100.0, 100.0),
                "strength_clip": _float(1.0, -100.0, 100.0),
            },
            return_types=("MODEL", "CLIP"),
        ),
        NodeType(
            name="LoraLoaderModelOnly",
            display_name="LoraLoaderModelOnly",
            category="loaders",
            required={
                "model": ("MODEL", {}),
                "lora_name": (files("loras"), {}),
                "strength_model": _float(1.0, -100.0, 100.0),
            },
            return_types=("MODEL",),
        ),
        NodeType(
            name="VAELoader",
            display_name="Load VAE",
            category="loaders",
            required={"vae_name": (files("vae"), {})},
            return_types=("VAE",),
        ),
        NodeType(
            name="CLIPSetLastLayer",
            display_name="CLIP Set Last Layer",
            category="conditioning",
            required={"clip": ("CLIP", {}), "stop_at_clip_layer": _int(-1, -24, -1)},
            return_types=("CLIP",),
        ),
        NodeType(
            name="CLIPTextEncode",
            display_name="CLIP Text Encode (Prompt)",
            category="conditioning",
            required={
                "text": ("STRING", {"multiline": True, "dynamicPrompts": True}),
                "clip": ("CLIP", {}),
            },
            return_types=("CONDITIONING",),
        ),
        NodeType(
            name="EmptyLatentImage",
            display_name="Empty Latent Image",
            category="latent",
            required={
                "width": _int(512, 16, MAX_RESOLUTION, 8),
                "height": _int(512, 16, MAX_RESOLUTION, 8),
                "batch_size": _int(1, 1, 4096),
            },
            return_types=("LATENT",),
        ),
        NodeType(
            name="KSampler",
            display_name="KSampler",
            category="sampling",
            required={
                "model": ("MODEL", {}),
                "seed": _int(0, 0, MAX_SEED),
                "steps": _int(20, 1, 10000),
                **_sampler_inputs(),
                "denoise": _float(1.0, 0.0, 1.0),
            },
            return_types=("LATENT",),
        ),
        NodeType(
            name="KSamplerAdvanced",
            display_name="KSampler (Advanced)",
            category="sampling",
            required={
                "model": ("MODEL", {}),
                "add_noise": (["enable", "disable"], {}),
                "noise_seed": _int(0, 0, MAX_SEED),
                "steps": _int(20, 1, 10000),
                **_sampler_inputs(),
                "start_at_step": _int(0, 0, 10000),
                "end_at_step": _int(10000, 0, 10000),
                "return_with_leftover_noise": (["disable", "enable"], {}),
            },
            return_types=("LATENT",),
        ),
        NodeType(
            name="VAEDecode",
            display_name="VAE Decode",
            category="latent",
            required={"samples": ("LATENT", {}), "vae": ("VAE", {})},
            return_types=("IMAGE",),
        ),
        NodeType(
            name="SaveImage",
            display_name="Save Image",
            category="image",
            required={
                "images": ("IMAGE", {}),
                "filename_prefix": ("STRING", {"default": "ComfyUI"}),
            },
            hidden={"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
            return_types=(),
            output_node=True,
        ),
        NodeType(
            name="PreviewImage",
            display_name="Preview Image",
            category="image",
            required={"images": ("IMAGE", {})},
            hidden={"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
            return_types=(),
            output_node=True,
        ),
    ]
    return {node.name: node for node in nodes}
