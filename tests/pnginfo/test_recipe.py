"""The recipe that reproduces an image: models matched against the installed files, what a
recipe cannot carry named in warnings, fields the recipe check refuses left out."""

from __future__ import annotations

import json

import pytest

from gaze.pnginfo.a1111 import parse_a1111
from gaze.pnginfo.containers import MAX_TEXT_BYTES
from gaze.pnginfo.read import read_generation_info
from gaze.pnginfo.recipe import InstalledModels, installed_match, recipe_of
from gaze.pnginfo.result import GenerationInfo, HiresPass, LoraUse, NoGenerationMetadata
from gaze.presets.recipe import recipe_preset
from tests.pnginfo import comfyui_graphs as graphs
from tests.pnginfo.images import png_with_raw_chunk, png_with_texts
from tests.pnginfo.test_a1111 import FORGE_TEXT

CHECKPOINTS = ["SD15/dreamshaper_8.safetensors", "sdxl/Juggernaut.safetensors"]
LORAS = ["styles/watercolor_v2.safetensors", "add_detail.safetensors"]
INSTALLED = InstalledModels(
    checkpoints=frozenset(CHECKPOINTS),
    loras=frozenset(LORAS),
    upscale_models=frozenset({"RealESRGAN/4x-UltraSharp.pth"}),
)


def test_models_match_by_path_or_by_name_whatever_the_folder_and_case() -> None:
    assert installed_match("SD15/dreamshaper_8.safetensors", CHECKPOINTS) == CHECKPOINTS[0]
    assert installed_match("dreamshaper_8", CHECKPOINTS) == CHECKPOINTS[0]
    assert installed_match("other\\juggernaut.ckpt", CHECKPOINTS) == CHECKPOINTS[1]
    assert installed_match("missing", CHECKPOINTS) is None


def test_an_a1111_image_gives_a_recipe_generate_accepts() -> None:
    info = parse_a1111(
        "a cat <lora:watercolor_v2:0.7> <lora:unknown_lora:1>\nNegative prompt: dog\n"
        "Steps: 12, Sampler: Euler a, Schedule type: Karras, CFG scale: 6, Seed: 99, "
        "Size: 512x768, Model: dreamshaper_8, Clip skip: 2, Denoising strength: 0.4, "
        "Hires upscale: 2, Hires upscaler: Latent (bicubic)"
    )
    answer = recipe_of(info, INSTALLED)
    assert answer.recipe == {
        "positive": "a cat",
        "negative": "dog",
        "width": 512,
        "height": 768,
        "steps": 12,
        "cfg": 6.0,
        "sampler": "euler_ancestral",
        "scheduler": "karras",
        "clip_skip": 2,
        "hires": {"scale": 2.0, "denoise": 0.4, "upscaler": "latent-bicubic"},
        "loras": [{"file": LORAS[0], "weight": 0.7}],
        "checkpoint": "SD15/dreamshaper_8.safetensors",
    }
    recipe_preset(answer.recipe)
    assert answer.generate_body == {"recipe": answer.recipe, "seed": 99}
    assert answer.loras == [
        {"name": "watercolor_v2", "strength": 0.7, "installed": LORAS[0]},
        {"name": "unknown_lora", "strength": 1.0, "installed": None},
    ]
    assert any("'unknown_lora' is not installed" in line for line in answer.warnings)
    assert not any("watercolor_v2" in line for line in answer.warnings)


def test_the_a1111_two_lora_image_gives_a_recipe_with_both_loras() -> None:
    info = read_generation_info(png_with_texts({"parameters": FORGE_TEXT}))

    answer = recipe_of(info, INSTALLED)

    assert answer.recipe is not None
    assert answer.recipe["loras"] == [
        {"file": "add_detail.safetensors", "weight": 0.8},
        {"file": "styles/watercolor_v2.safetensors", "weight": 1.0},
    ]
    preset = recipe_preset(answer.recipe)
    assert [(lora.file, lora.weight) for lora in preset.loras] == [
        ("add_detail.safetensors", 0.8),
        ("styles/watercolor_v2.safetensors", 1.0),
    ]
    assert not any("LoRA" in line for line in answer.warnings)


def test_the_comfyui_two_lora_graph_gives_a_recipe_with_both_loras_and_clip_strengths() -> None:
    info = read_generation_info(png_with_texts({"prompt": json.dumps(graphs.with_two_loras())}))

    answer = recipe_of(info, INSTALLED)

    assert answer.recipe is not None
    assert answer.recipe["loras"] == [
        {"file": "styles/watercolor_v2.safetensors", "weight": 0.7, "clip_weight": 0.6},
        {"file": "add_detail.safetensors", "weight": 1.2, "clip_weight": 1.0},
    ]
    recipe_preset(answer.recipe)


def test_a_lora_the_recipe_cannot_take_stays_in_the_warnings() -> None:
    info = GenerationInfo(
        source="comfyui",
        positive="p",
        loras=[
            LoraUse("add_detail", 12.0),
            LoraUse("watercolor_v2"),
            LoraUse("watercolor_v2", 0.3),
        ],
    )

    answer = recipe_of(info, INSTALLED)

    assert answer.recipe is not None
    assert answer.recipe["loras"] == [{"file": LORAS[0], "weight": 1.0}]
    assert any("'add_detail'" in line and "left out" in line for line in answer.warnings)
    assert any("already uses that file" in line for line in answer.warnings)


def test_fields_the_recipe_refuses_are_left_out_with_the_reason() -> None:
    info = GenerationInfo(
        source="comfyui",
        positive="p",
        steps=500,
        width=513,
        height=512,
        checkpoint="nowhere.safetensors",
        hires=HiresPass(upscale=1.5, upscaler="R-ESRGAN 4x+"),
        loras=[LoraUse("x")],
    )
    answer = recipe_of(info, INSTALLED)
    assert answer.recipe is not None
    assert "steps" not in answer.recipe
    assert answer.recipe["hires"] == {"scale": 1.5}
    assert any("'R-ESRGAN 4x+' is not installed" in line for line in answer.warnings)
    assert "width" not in answer.recipe and "checkpoint" not in answer.recipe
    recipe_preset(answer.recipe)
    assert any("recipe.steps" in line for line in answer.warnings)
    assert any("'nowhere.safetensors' is not installed" in line for line in answer.warnings)
    assert any("names no seed" in line for line in answer.warnings)
    assert answer.generate_body == {"recipe": answer.recipe}


def test_a_huge_plain_text_chunk_is_skipped() -> None:
    body = b"parameters\x00" + b"a" * (MAX_TEXT_BYTES + 1)
    data = png_with_raw_chunk(b"tEXt", body + b"\x00")
    with pytest.raises(NoGenerationMetadata, match=r"at most 4\.0 MB are read"):
        read_generation_info(data)


def test_an_upscale_model_named_by_the_image_is_the_installed_file() -> None:
    info = parse_a1111(
        "cat\nSteps: 3, Sampler: Euler, Seed: 1, Size: 64x64, Denoising strength: 0.3, "
        "Hires upscale: 2, Hires upscaler: 4x-UltraSharp"
    )
    answer = recipe_of(info, INSTALLED)
    assert answer.recipe is not None
    assert answer.recipe["hires"]["upscaler"] == "RealESRGAN/4x-UltraSharp.pth"
