"""Custom ComfyUI workflow templates used by the tests, and specs that carry them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gaze.generation_spec import GenerationSpec

EXAMPLE_SPEC = GenerationSpec(
    positive="a red fox",
    negative="blurry",
    checkpoint="sd15/base.safetensors",
    width=768,
    height=512,
    steps=12,
    cfg=6,
    sampler="euler_ancestral",
    scheduler="karras",
    seed=123456789012,
)
"""A text-to-image spec the template tests fill and read."""


def with_template(spec: GenerationSpec, template: dict[str, Any] | None) -> GenerationSpec:
    """``spec`` carrying ``template``."""
    return replace(spec, workflow_template=template)


def text_to_image_template() -> dict[str, Any]:
    """A ComfyUI "Export (API)" text-to-image graph with placeholders and a LoRA marker."""
    return {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": "{{seed}}",
                "steps": "{{steps}}",
                "cfg": "{{cfg}}",
                "sampler_name": "{{sampler}}",
                "scheduler": "{{scheduler}}",
                "denoise": 1,
                "model": ["30", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{checkpoint}}"}},
        "5": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1},
        },
        "6": {
            "class_type": "CLIPTextEncode",
            "inputs": {"text": "masterpiece, {{prompt}}", "clip": ["30", 1]},
        },
        "7": {
            "class_type": "CLIPTextEncode",
            "inputs": {"text": "{{negative}}", "clip": ["30", 1]},
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "t", "images": ["8", 0]}},
        "30": {
            "class_type": "LoraLoader",
            "inputs": {
                "model": ["4", 0],
                "clip": ["4", 1],
                "lora_name": "{{loras}}",
                "strength_model": 1.0,
                "strength_clip": 1.0,
            },
        },
    }


def fixed_vae_template(vae: str) -> dict[str, Any]:
    """The text-to-image template decoding with a VAE file it names itself."""
    doc = text_to_image_template()
    doc["11"] = {"class_type": "VAELoader", "inputs": {"vae_name": vae}}
    doc["8"]["inputs"]["vae"] = ["11", 0]
    return doc
