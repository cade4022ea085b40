"""The node types the stand-in knows, described the way ComfyUI describes them.

Each input is a ComfyUI ``INPUT_TYPES`` entry: ``(type, options)`` where ``type`` is a
string (``"INT"``, ``"MODEL"``...) or a list of allowed values (a combo). Model combos
are filled from the stand-in's model folders, image combos from its input folder, when the
catalog is built. The image and upscaling nodes live in `image_node_types`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from tests.comfyui_standin.image_node_types import image_node_types
from tests.comfyui_standin.node_type import (
    MAX_RESOLUTION,
    InputSpec,
    NodeType,
    float_input,
    int_input,
)

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


def _sampler_inputs() -> dict[str, InputSpec]:
    return {
        "cfg": float_input(8.0, 0.0, 100.0, 0.1),
        "sampler_name": (list(SAMPLER_NAMES), {}),
        "scheduler": (list(SCHEDULER_NAMES), {}),
        "positive": ("CONDITIONING", {}),
        "negative": ("CONDITIONING", {}),
        "latent_image": ("LATENT", {}),
    }


def build_catalog(
    models: Mapping[str, list[str]], files_by_type: Mapping[str, Collection[str]] | None = None
) -> dict[str, NodeType]:
    """Every node type, with model combos listing the files in ``models`` and image combos
    the files stored per folder type (``{"input": ["a.png", "sub/b.png"]}``)."""

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
                "strength_model": float_input(1.0, -100.0, 100.0),
                "strength_clip": float_input(1.0, -100.0, 100.0),
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
                "strength_model": float_input(1.0, -100.0, 100.0),
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
            required={"clip": ("CLIP", {}), "stop_at_clip_layer": int_input(-1, -24, -1)},
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
                "width": int_input(512, 16, MAX_RESOLUTION, 8),
                "height": int_input(512, 16, MAX_RESOLUTION, 8),
                "batch_size": int_input(1, 1, 4096),
            },
            return_types=("LATENT",),
        ),
        NodeType(
            name="KSampler",
            display_name="KSampler",
            category="sampling",
            required={
                "model": ("MODEL", {}),
                "seed": int_input(0, 0, MAX_SEED),
                "steps": int_input(20, 1, 10000),
                **_sampler_inputs(),
                "denoise": float_input(1.0, 0.0, 1.0),
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
                "noise_seed": int_input(0, 0, MAX_SEED),
                "steps": int_input(20, 1, 10000),
                **_sampler_inputs(),
                "start_at_step": int_input(0, 0, 10000),
                "end_at_step": int_input(10000, 0, 10000),
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
    nodes += image_node_types(files("upscale_models"), files_by_type or {})
    return {node.name: node for node in nodes}
