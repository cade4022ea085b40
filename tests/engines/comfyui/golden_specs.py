"""The specs whose workflows are committed as golden files under tests/engines/comfyui/golden/."""

from __future__ import annotations

from gaze.generation_spec import GenerationSpec, LoraSpec

GOLDEN_SPECS: dict[str, GenerationSpec] = {
    "minimal": GenerationSpec(
        positive="a lighthouse at dusk",
        negative="blurry",
        checkpoint="sd15/base.safetensors",
    ),
    "full": GenerationSpec(
        positive="1girl, reading in a library, warm light",
        negative="lowres, bad hands",
        checkpoint="sdxl/illustrious.safetensors",
        width=832,
        height=1216,
        steps=28,
        cfg=5.5,
        sampler="dpmpp_2m",
        scheduler="karras",
        seed=2**64 - 1,
        loras=(
            LoraSpec("detail.safetensors", 0.8, 0.6),
            LoraSpec("style/ink.safetensors", -0.5, 1.0),
        ),
        vae="sdxl_vae.safetensors",
        clip_skip=2,
    ),
}
