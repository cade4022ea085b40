"""ComfyUI API-format graphs as ComfyUI writes them into the ``prompt`` text of its PNGs
(node ids are strings, links ``["<id>", <output index>]``): its default txt2img graph, one with
two LoRAs, a hires fix, a combined conditioning, and a SamplerCustomAdvanced graph."""

from __future__ import annotations

import copy
from typing import Any

Graph = dict[str, Any]

TXT2IMG: Graph = {
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 156680208700286,
            "steps": 20,
            "cfg": 8.0,
            "sampler_name": "euler",
            "scheduler": "normal",
            "denoise": 1.0,
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
    "4": {
        "class_type": "CheckpointLoaderSimple",
        "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"},
    },
    "5": {
        "class_type": "EmptyLatentImage",
        "inputs": {"width": 512, "height": 768, "batch_size": 1},
    },
    "6": {
        "class_type": "CLIPTextEncode",
        "inputs": {
            "text": "beautiful scenery nature glass bottle landscape, purple galaxy bottle,",
            "clip": ["4", 1],
        },
    },
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
}


def with_two_loras() -> Graph:
    graph = copy.deepcopy(TXT2IMG)
    graph["10"] = {
        "class_type": "LoraLoader",
        "inputs": {
            "lora_name": "styles\\watercolor_v2.safetensors",
            "strength_model": 0.7,
            "strength_clip": 0.6,
            "model": ["4", 0],
            "clip": ["4", 1],
        },
    }
    graph["11"] = {
        "class_type": "LoraLoader",
        "inputs": {
            "lora_name": "add_detail.safetensors",
            "strength_model": 1.2,
            "strength_clip": 1.0,
            "model": ["10", 0],
            "clip": ["10", 1],
        },
    }
    graph["12"] = {
        "class_type": "CLIPSetLastLayer",
        "inputs": {"stop_at_clip_layer": -2, "clip": ["11", 1]},
    }
    graph["3"]["inputs"]["model"] = ["11", 0]
    graph["6"]["inputs"]["clip"] = ["12", 0]
    graph["7"]["inputs"]["clip"] = ["12", 0]
    return graph


def with_hires_fix() -> Graph:
    """ComfyUI's hires fix example: upscale the first pass's latent, sample it again."""
    graph = copy.deepcopy(TXT2IMG)
    graph["10"] = {
        "class_type": "LatentUpscaleBy",
        "inputs": {"upscale_method": "bicubic", "scale_by": 1.5, "samples": ["3", 0]},
    }
    graph["11"] = {
        "class_type": "KSampler",
        "inputs": {
            "seed": 156680208700286,
            "steps": 12,
            "cfg": 8.0,
            "sampler_name": "dpmpp_2m",
            "scheduler": "karras",
            "denoise": 0.5,
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["10", 0],
        },
    }
    graph["8"]["inputs"]["samples"] = ["11", 0]
    return graph


def with_combined_conditioning() -> Graph:
    """The positive prompt as two texts joined by ConditioningCombine, one of them coming
    from a primitive string node."""
    graph = copy.deepcopy(TXT2IMG)
    graph["13"] = {"class_type": "PrimitiveString", "inputs": {"value": "red lighthouse"}}
    graph["14"] = {"class_type": "CLIPTextEncode", "inputs": {"text": ["13", 0], "clip": ["4", 1]}}
    graph["15"] = {
        "class_type": "ConditioningCombine",
        "inputs": {"conditioning_1": ["6", 0], "conditioning_2": ["14", 0]},
    }
    graph["3"]["inputs"]["positive"] = ["15", 0]
    return graph


def with_sampler_custom_advanced() -> Graph:
    graph = copy.deepcopy(TXT2IMG)
    del graph["3"]
    graph.update(
        {
            "20": {"class_type": "RandomNoise", "inputs": {"noise_seed": 42}},
            "21": {
                "class_type": "CFGGuider",
                "inputs": {
                    "cfg": 4.5,
                    "model": ["4", 0],
                    "positive": ["6", 0],
                    "negative": ["7", 0],
                },
            },
            "22": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "dpmpp_2m_sde"}},
            "23": {
                "class_type": "BasicScheduler",
                "inputs": {
                    "scheduler": "exponential",
                    "steps": 30,
                    "denoise": 1.0,
                    "model": ["4", 0],
                },
            },
            "24": {
                "class_type": "SamplerCustomAdvanced",
                "inputs": {
                    "noise": ["20", 0],
                    "guider": ["21", 0],
                    "sampler": ["22", 0],
                    "sigmas": ["23", 0],
                    "latent_image": ["5", 0],
                },
            },
        }
    )
    graph["8"]["inputs"]["samples"] = ["24", 0]
    return graph


def ui_workflow() -> dict[str, Any]:
    """The UI-format workflow of TXT2IMG (what the ``workflow`` text holds)."""
    return {
        "last_node_id": 9,
        "last_link_id": 9,
        "nodes": [
            {
                "id": 3,
                "type": "KSampler",
                "mode": 0,
                "inputs": [
                    {"name": "model", "type": "MODEL", "link": 1},
                    {"name": "positive", "type": "CONDITIONING", "link": 4},
                    {"name": "negative", "type": "CONDITIONING", "link": 6},
                    {"name": "latent_image", "type": "LATENT", "link": 2},
                ],
                "widgets_values": [99, "randomize", 25, 6.5, "euler_ancestral", "karras", 1],
            },
            {
                "id": 4,
                "type": "CheckpointLoaderSimple",
                "mode": 0,
                "inputs": [],
                "widgets_values": ["dreamshaper_8.safetensors"],
            },
            {
                "id": 5,
                "type": "EmptyLatentImage",
                "mode": 0,
                "inputs": [],
                "widgets_values": [640, 448, 1],
            },
            {
                "id": 6,
                "type": "CLIPTextEncode",
                "mode": 0,
                "inputs": [{"name": "clip", "type": "CLIP", "link": 3}],
                "widgets_values": ["a castle on a hill"],
            },
            {
                "id": 7,
                "type": "CLIPTextEncode",
                "mode": 0,
                "inputs": [{"name": "clip", "type": "CLIP", "link": 5}],
                "widgets_values": ["fog"],
            },
            {
                "id": 8,
                "type": "VAEDecode",
                "mode": 0,
                "inputs": [
                    {"name": "samples", "type": "LATENT", "link": 7},
                    {"name": "vae", "type": "VAE", "link": 8},
                ],
            },
            {
                "id": 9,
                "type": "SaveImage",
                "mode": 0,
                "inputs": [{"name": "images", "type": "IMAGE", "link": 9}],
                "widgets_values": ["ComfyUI"],
            },
        ],
        "links": [
            [1, 4, 0, 3, 0, "MODEL"],
            [2, 5, 0, 3, 3, "LATENT"],
            [3, 4, 1, 6, 0, "CLIP"],
            [4, 6, 0, 3, 1, "CONDITIONING"],
            [5, 4, 1, 7, 0, "CLIP"],
            [6, 7, 0, 3, 2, "CONDITIONING"],
            [7, 3, 0, 8, 0, "LATENT"],
            [8, 4, 2, 8, 1, "VAE"],
            [9, 8, 0, 9, 0, "IMAGE"],
        ],
        "version": 0.4,
    }
