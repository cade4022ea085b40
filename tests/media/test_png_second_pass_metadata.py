"""What a PNG records of an img2img, inpainting or hires job: A1111's keys in `parameters`,
the whole spec (init image and mask with their SHA-256) in the `gaze` chunk."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image

from gaze.generation_spec import GenerationSpec, HiresSpec, SourceImage
from gaze.media.png_metadata import a1111_parameters, png_info, read_gaze_metadata
from gaze.media.storage import encode_png

INIT = SourceImage("inputs/abc.png", "a" * 64)
MASK = SourceImage("inputs/mask.png", "b" * 64)
BASE = GenerationSpec(positive="a cat", negative="blurry", checkpoint="sd15/base.safetensors")


def settings_of(spec: GenerationSpec) -> list[str]:
    return a1111_parameters(spec).splitlines()[-1].split(", ")


def test_a_plain_generation_writes_no_second_pass_keys() -> None:
    settings = " ".join(settings_of(BASE))
    for key in ("Denoising strength", "Hires", "Mask blur"):
        assert key not in settings


def test_img2img_writes_its_strength_and_an_inpainting_its_mask_blur() -> None:
    img2img = replace(BASE, init_image=INIT, denoise=0.6)
    assert settings_of(img2img)[-1] == "Denoising strength: 0.6"
    inpaint = replace(img2img, mask=MASK, mask_blur=7)
    assert settings_of(inpaint)[-2:] == ["Denoising strength: 0.6", "Mask blur: 7"]


def test_a_hires_pass_writes_a1111s_hires_keys() -> None:
    hires = HiresSpec(scale=1.5, denoise=0.45, steps=10, upscaler="latent")
    spec = replace(BASE, hires=hires)
    assert settings_of(spec)[-4:] == [
        "Denoising strength: 0.45",
        "Hires upscale: 1.5",
        "Hires steps: 10",
        "Hires upscaler: Latent (nearest-exact)",
    ]
    model = HiresSpec(scale=2, denoise=0.3, upscaler="esrgan/4x-UltraSharp.pth")
    both = replace(BASE, hires=model, init_image=INIT, denoise=0.8, mask=MASK)
    assert settings_of(both)[-5:] == [
        "Denoising strength: 0.3",
        "Init denoising strength: 0.8",
        "Hires upscale: 2",
        "Hires upscaler: 4x-UltraSharp",
        "Mask blur: 4",
    ]


def test_a_hires_sampler_or_scheduler_is_written_only_when_it_differs() -> None:
    base = replace(BASE, sampler="euler", scheduler="normal")
    same = replace(base, hires=HiresSpec(scale=1.5, sampler="euler", scheduler="normal"))
    assert not any(entry.startswith("Hires s") for entry in settings_of(same))
    other = replace(base, hires=HiresSpec(scale=1.5, sampler="dpmpp_2m", scheduler="karras"))
    assert settings_of(other)[-2:] == ["Hires sampler: DPM++ 2M", "Hires schedule type: Karras"]


def test_the_gaze_chunk_carries_the_sources_so_the_spec_comes_back_whole() -> None:
    spec = replace(
        BASE,
        init_image=INIT,
        mask=MASK,
        denoise=0.55,
        resize="crop",
        mask_grow=3,
        hires=HiresSpec(scale=1.25, upscaler="pixel-bicubic", sampler="dpmpp_2m"),
    )
    data = encode_png(Image.new("RGB", (8, 8)), png_info(spec, {"preset": "p"}))
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        metadata = read_gaze_metadata(image)
        parameters = image.info["parameters"]
    assert metadata["spec"]["init_image"] == {"path": INIT.path, "sha256": INIT.sha256}
    assert GenerationSpec.from_dict(metadata["spec"]) == spec
    assert "Mask blur: 4" in parameters and "Hires upscaler: pixel-bicubic" in parameters
