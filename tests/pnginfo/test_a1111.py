"""A1111/Forge's `parameters` text, in PNG text chunks and in the EXIF UserComment of JPEG and
WebP files; and GAZE's own A1111 text read back into the spec it was written from."""

from __future__ import annotations

import pytest

from gaze.generation_spec import GenerationSpec, HiresSpec, LoraSpec, SourceImage
from gaze.media.png_metadata import a1111_parameters
from gaze.pnginfo.a1111 import parse_a1111, settings_pairs
from gaze.pnginfo.read import read_generation_info
from tests.pnginfo.images import image_with_user_comment, png_with_texts, user_comment

FORGE_TEXT = (
    "masterpiece, best quality, 1girl, (red scarf:1.2), <lora:add_detail:0.8>, "
    "<lora:watercolor_v2:1>\nsnowy street\n"
    "Negative prompt: lowres, bad anatomy,\nworst quality\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592653, "
    "Size: 832x1216, Model hash: 4d0c3f5a2b, Model: juggernautXL_v9, VAE hash: 235745af8d, "
    "VAE: sdxl_vae.safetensors, Clip skip: 2, Denoising strength: 0.45, Hires upscale: 1.5, "
    "Hires steps: 12, Hires upscaler: 4x-UltraSharp, "
    'Lora hashes: "add_detail: 7c6bad76eb54, watercolor_v2: 1f2e3d4c5b6a", '
    'TI hashes: "easynegative: c74b4e810b03", Version: f2.0.1v1.10.1'
)


def test_forge_text_in_a_png_gives_every_setting() -> None:
    info = read_generation_info(png_with_texts({"parameters": FORGE_TEXT}))
    assert info.source == "a1111"
    assert info.positive == ("masterpiece, best quality, 1girl, (red scarf:1.2),\nsnowy street")
    assert info.negative == "lowres, bad anatomy,\nworst quality"
    assert (info.steps, info.cfg, info.seed) == (28, 6.5, 3141592653)
    assert (info.sampler, info.scheduler) == ("dpmpp_2m", "karras")
    assert (info.width, info.height, info.clip_skip) == (832, 1216, 2)
    assert (info.checkpoint, info.checkpoint_hash) == ("juggernautXL_v9", "4d0c3f5a2b")
    assert [(lora.name, lora.strength, lora.hash) for lora in info.loras] == [
        ("add_detail", 0.8, "7c6bad76eb54"),
        ("watercolor_v2", 1.0, "1f2e3d4c5b6a"),
    ]
    assert info.hires is not None
    assert (info.hires.upscale, info.hires.steps, info.hires.denoise) == (1.5, 12, 0.45)
    assert info.hires.upscaler == "4x-UltraSharp"
    assert info.denoise is None  # the denoising strength is the hires pass's
    assert info.other["TI hashes"] == "easynegative: c74b4e810b03"
    assert info.other["Version"] == "f2.0.1v1.10.1"
    assert info.raw == FORGE_TEXT


@pytest.mark.parametrize(
    ("label", "sampler", "scheduler"),
    [
        ("Euler a", "euler_ancestral", None),
        ("DPM++ 2M Karras", "dpmpp_2m", "karras"),
        ("DPM++ SDE Exponential", "dpmpp_sde", "exponential"),
        ("DPM++ 2M SDE Heun", "dpmpp_2m_sde_heun", None),
        ("UniPC", "uni_pc", None),
    ],
)
def test_sampler_labels_old_and_new_map_to_gaze_names(
    label: str, sampler: str, scheduler: str | None
) -> None:
    info = parse_a1111(f"cat\nSteps: 20, Sampler: {label}, CFG scale: 7, Seed: 1, Size: 512x512")
    assert (info.sampler, info.scheduler) == (sampler, scheduler)


def test_an_unknown_sampler_is_a_warning_not_a_guess() -> None:
    info = parse_a1111("cat\nSteps: 20, Sampler: Restart, CFG scale: 7, Seed: 1")
    assert info.sampler is None
    assert any("Restart" in warning for warning in info.warnings)


def test_quoted_values_keep_their_commas_and_escapes() -> None:
    pairs = settings_pairs('Steps: 5, Note: "a, \\"b\\", c", Seed: 9')
    assert pairs == [("Steps", "5"), ("Note", 'a, "b", c'), ("Seed", "9")]


def test_a_prompt_without_settings_is_read_as_a_prompt_with_a_warning() -> None:
    info = parse_a1111("just a prompt: with a colon")
    assert info.positive == "just a prompt: with a colon"
    assert info.steps is None
    assert info.warnings


@pytest.mark.parametrize(
    ("image_format", "encoding"),
    [
        ("JPEG", "utf-16-be"),
        ("JPEG", "utf-16-le"),
        ("WEBP", "utf-16-be"),
        ("WEBP", "ascii"),
    ],
)
def test_jpeg_and_webp_user_comments_in_either_byte_order(image_format: str, encoding: str) -> None:
    text = "a fox in snow\nNegative prompt: blurry\nSteps: 12, Sampler: Euler, CFG scale: 5, "
    text += "Seed: 77, Size: 640x448, Model: sd15"
    data = image_with_user_comment(user_comment(text, encoding), image_format)
    info = read_generation_info(data)
    assert info.source == "a1111"
    assert (info.positive, info.negative) == ("a fox in snow", "blurry")
    assert (info.steps, info.sampler, info.seed, info.width, info.height) == (
        12,
        "euler",
        77,
        640,
        448,
    )


def test_a_non_ascii_prompt_survives_utf16() -> None:
    text = "桜の木, café\nSteps: 4, Sampler: Euler, CFG scale: 2, Seed: 3"
    data = image_with_user_comment(user_comment(text, "utf-16-le"), "JPEG")
    assert read_generation_info(data).positive == "桜の木, café"


SPECS = [
    GenerationSpec(
        positive="a lighthouse, (storm:1.3)\nwide shot",
        negative="",
        checkpoint="SDXL/juggernaut.safetensors",
        width=832,
        height=1216,
        steps=24,
        cfg=5.5,
        sampler="dpmpp_2m_sde",
        scheduler="sgm_uniform",
        seed=2**60 + 5,
        loras=(LoraSpec("styles/ink.safetensors", 0.65), LoraSpec("detail.safetensors", 1.0)),
        clip_skip=2,
        prompt_weighting="a1111",
    ),
    GenerationSpec(
        positive="cat",
        negative="dog",
        checkpoint="tiny.safetensors",
        sampler="dpmpp_3m_sde",
        scheduler="linear_quadratic",
        init_image=SourceImage("inputs/a.png", "0" * 64),
        denoise=0.6,
        hires=HiresSpec(
            scale=2.0,
            denoise=0.35,
            steps=7,
            upscaler="latent-bicubic",
            sampler="euler_ancestral",
            scheduler="ddim_uniform",
        ),
    ),
    GenerationSpec(
        positive="x",
        negative="y",
        checkpoint="m.safetensors",
        init_image=SourceImage("inputs/a.png", "0" * 64),
        denoise=0.75,
        hires=HiresSpec(upscaler="pixel-lanczos"),
    ),
]


@pytest.mark.parametrize("spec", SPECS)
def test_gaze_a1111_text_reads_back_into_its_spec(spec: GenerationSpec) -> None:
    info = parse_a1111(a1111_parameters(spec))
    assert (info.positive, info.negative) == (spec.positive, spec.negative)
    assert (info.seed, info.steps, info.cfg) == (spec.seed, spec.steps, spec.cfg)
    assert (info.sampler, info.scheduler) == (spec.sampler, spec.scheduler)
    assert (info.width, info.height) == (spec.width, spec.height)
    assert info.checkpoint == spec.checkpoint.rsplit("/", 1)[-1].removesuffix(".safetensors")
    stems = [lora.name.rsplit("/", 1)[-1].removesuffix(".safetensors") for lora in spec.loras]
    assert [(lora.name, lora.strength) for lora in info.loras] == [
        (stem, lora.model_weight) for stem, lora in zip(stems, spec.loras, strict=True)
    ]
    assert info.clip_skip == (spec.clip_skip if spec.clip_skip and spec.clip_skip > 1 else None)
    assert info.denoise == (spec.denoise if spec.init_image else None)
    if spec.hires is None:
        assert info.hires is None
    else:
        assert info.hires is not None
        assert (info.hires.upscale, info.hires.denoise) == (spec.hires.scale, spec.hires.denoise)
        assert (info.hires.steps, info.hires.upscaler) == (spec.hires.steps, spec.hires.upscaler)
        assert info.hires.sampler == spec.hires.sampler
        assert info.hires.scheduler == spec.hires.scheduler
    if spec.prompt_weighting == "a1111":
        assert info.other["Prompt weighting"] == "a1111"
    assert info.warnings == []
