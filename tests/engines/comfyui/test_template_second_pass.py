"""Custom templates with the init image, mask, denoise and hires placeholders: filled and run."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gaze.engines.base import CancelToken, EngineError, ModelNotFound
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.engines.comfyui.template_filling import fill_template
from gaze.engines.comfyui.workflow import UploadedImages
from gaze.generation_spec import HiresSpec, SourceImage
from gaze.workflow_templates import (
    TemplateError,
    job_template_problems,
    template_models,
    validate_template,
)
from tests.comfyui_standin import StandInFactory
from tests.engines.comfyui.engine_jobs import ProgressLog, same_pixels
from tests.support.template_examples import EXAMPLE_SPEC, text_to_image_template

INIT = SourceImage("inputs/init.png", "0" * 64)
MASK = SourceImage("inputs/mask.png", "1" * 64)
UPLOADS = UploadedImages(init_image="gaze_init.png", mask="gaze_mask.png")
HIRES = HiresSpec(scale=1.5, denoise=0.35, steps=None, upscaler="latent-bicubic")
JOB = replace(EXAMPLE_SPEC, init_image=INIT, mask=MASK, denoise=0.55, hires=HIRES)


def second_pass_template() -> dict[str, Any]:
    """img2img + inpaint + a latent hires pass, every new value from a placeholder."""
    doc = text_to_image_template()
    del doc["5"]
    doc["3"]["inputs"] |= {"denoise": "{{denoise}}", "latent_image": ["15", 0]}
    doc["12"] = {"class_type": "LoadImage", "inputs": {"image": "{{init_image}}"}}
    doc["13"] = {"class_type": "VAEEncode", "inputs": {"pixels": ["12", 0], "vae": ["4", 2]}}
    doc["14"] = {"class_type": "LoadImageMask", "inputs": {"image": "{{mask}}", "channel": "red"}}
    doc["15"] = {
        "class_type": "SetLatentNoiseMask",
        "inputs": {"samples": ["13", 0], "mask": ["14", 0]},
    }
    doc["40"] = {
        "class_type": "LatentUpscale",
        "inputs": {
            "samples": ["3", 0],
            "upscale_method": "{{hires_upscale_method}}",
            "width": "{{hires_width}}",
            "height": "{{hires_height}}",
            "crop": "disabled",
        },
    }
    doc["41"] = {
        "class_type": "KSampler",
        "inputs": {
            **doc["3"]["inputs"],
            "steps": "{{hires_steps}}",
            "denoise": "{{hires_denoise}}",
            "sampler_name": "{{hires_sampler}}",
            "scheduler": "{{hires_scheduler}}",
            "latent_image": ["40", 0],
        },
    }
    doc["8"]["inputs"]["samples"] = ["41", 0]
    return doc


def test_the_new_placeholders_are_known_to_the_document_rules() -> None:
    assert validate_template(second_pass_template()) == []


def test_fill_gives_each_placeholder_comfyui_type() -> None:
    graph = fill_template(second_pass_template(), JOB, UPLOADS)
    assert graph["12"]["inputs"] == {"image": "gaze_init.png"}
    assert graph["14"]["inputs"] == {"image": "gaze_mask.png", "channel": "red"}
    first = graph["3"]["inputs"]
    assert first["denoise"] == 0.55 and type(first["denoise"]) is float
    upscale = graph["40"]["inputs"]
    assert (upscale["width"], upscale["height"], upscale["upscale_method"]) == (
        1152,
        768,
        "bicubic",
    )
    assert type(upscale["width"]) is int and type(upscale["height"]) is int
    second = graph["41"]["inputs"]
    assert second["steps"] == 12 and type(second["steps"]) is int  # the first pass's
    assert second["denoise"] == 0.35 and type(second["denoise"]) is float
    assert (second["sampler_name"], second["scheduler"]) == ("euler_ancestral", "karras")


def test_hires_values_the_job_sets_itself() -> None:
    hires = HiresSpec(
        scale=2.0, denoise=0.2, steps=5, upscaler="4x.pth", sampler="dpmpp_2m", scheduler="simple"
    )
    doc = {
        **text_to_image_template(),
        "50": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "{{hires_upscaler}}"}},
        "51": {"class_type": "Note", "inputs": {"text": "x{{hires_scale}} at {{hires_steps}}"}},
        "52": {
            "class_type": "Note",
            "inputs": {
                "s": "{{hires_sampler}}",
                "t": "{{hires_scheduler}}",
                "m": "{{hires_upscale_method}}",
            },
        },
    }
    graph = fill_template(doc, replace(EXAMPLE_SPEC, hires=hires))
    assert graph["50"]["inputs"]["model_name"] == "4x.pth"
    assert graph["51"]["inputs"]["text"] == "x2.0 at 5"
    assert graph["52"]["inputs"] == {"s": "dpmpp_2m", "t": "simple", "m": "lanczos"}
    assert template_models(doc).uses_hires_upscaler
    assert not template_models(second_pass_template()).uses_hires_upscaler


def test_denoise_is_one_without_an_init_image() -> None:
    doc = text_to_image_template()
    doc["3"]["inputs"]["denoise"] = "{{denoise}}"
    assert fill_template(doc, replace(EXAMPLE_SPEC, denoise=0.3))["3"]["inputs"]["denoise"] == 1.0


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"mask": None}, "the template uses {{mask}} but the job has no mask"),
        ({"hires": None}, "the template uses {{hires_denoise}} but the job has no hires pass"),
        (
            {"init_image": None, "mask": None, "hires": None},
            "the template uses {{init_image}} but the job has no init image",
        ),
    ],
)
def test_placeholders_the_job_cannot_fill_are_refused(
    changes: dict[str, Any], problem: str
) -> None:
    uploads = UploadedImages(
        init_image=UPLOADS.init_image if changes.get("init_image", INIT) else None,
        mask=UPLOADS.mask if changes.get("mask", MASK) else None,
    )
    with pytest.raises(TemplateError) as refused:
        fill_template(second_pass_template(), replace(JOB, **changes), uploads)
    assert problem in refused.value.problems


def test_a_job_the_template_would_ignore_is_refused() -> None:
    with pytest.raises(TemplateError) as refused:
        fill_template(text_to_image_template(), JOB, UPLOADS)
    assert refused.value.problems == [
        "the job has an init image but the template never uses {{init_image}}",
        "the job has a mask but the template never uses {{mask}}",
        "the job has a hires pass but the template uses no {{hires_...}} value",
    ]


def test_the_document_rule_needs_no_backend() -> None:
    assert job_template_problems(second_pass_template(), JOB) == []
    assert job_template_problems(second_pass_template(), EXAMPLE_SPEC) == [
        "the template uses {{hires_denoise}} but the job has no hires pass",
        "the template uses {{hires_height}} but the job has no hires pass",
        "the template uses {{hires_sampler}} but the job has no hires pass",
        "the template uses {{hires_scheduler}} but the job has no hires pass",
        "the template uses {{hires_steps}} but the job has no hires pass",
        "the template uses {{hires_upscale_method}} but the job has no hires pass",
        "the template uses {{hires_width}} but the job has no hires pass",
        "the template uses {{init_image}} but the job has no init image",
        "the template uses {{mask}} but the job has no mask",
    ]


# -- through the engine ---------------------------------------------------------------------


def write_source(media_dir: Path, relative: str, image: Image.Image) -> SourceImage:
    path = media_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return SourceImage(relative, hashlib.sha256(path.read_bytes()).hexdigest())


def test_a_second_pass_template_runs_on_the_server(
    standin_factory: StandInFactory, tmp_path: Path
) -> None:
    standin = standin_factory(models={"checkpoints": ["sd15/base.safetensors"]})
    init = write_source(tmp_path, "inputs/a.png", Image.new("RGB", (768, 512), "teal"))
    mask = write_source(tmp_path, "inputs/m.png", Image.new("RGB", (768, 512), "white"))
    job = replace(JOB, init_image=init, mask=mask, workflow_template=second_pass_template())
    engine = ComfyUIEngine(standin.url, media_dir=tmp_path)
    progress = ProgressLog()
    result = engine.generate(job, progress, CancelToken())
    assert result.image.size == (1152, 768)
    assert same_pixels(result, job.seed, 1152, 768)
    progress.assert_monotonic_to_one()
    sent = standin.history()[result.info["prompt_id"]]["prompt"][2]
    assert sent["12"]["inputs"]["image"].startswith("gaze_")
    assert sent["41"]["inputs"]["denoise"] == 0.35


def test_a_template_upscale_model_the_server_lacks_is_refused_before_queueing(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(models={"checkpoints": ["sd15/base.safetensors"]})
    doc = second_pass_template()
    doc["40"] = {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "{{hires_upscaler}}"}}
    job = replace(EXAMPLE_SPEC, hires=HiresSpec(upscaler="4x-missing.pth"), workflow_template=doc)
    with pytest.raises(ModelNotFound, match=re.escape("upscale model '4x-missing.pth'")):
        ComfyUIEngine(standin.url).generate(job, ProgressLog(), CancelToken())
    assert standin.stats().executed_prompts == []


def test_a_refused_template_fails_the_job_with_its_reasons(
    standin_factory: StandInFactory, tmp_path: Path
) -> None:
    standin = standin_factory(models={"checkpoints": ["sd15/base.safetensors"]})
    init = write_source(tmp_path, "inputs/a.png", Image.new("RGB", (768, 512), "teal"))
    job = replace(EXAMPLE_SPEC, init_image=init, workflow_template=text_to_image_template())
    with pytest.raises(EngineError, match=re.escape("never uses {{init_image}}")):
        ComfyUIEngine(standin.url, media_dir=tmp_path).generate(job, ProgressLog(), CancelToken())
    assert standin.stats().executed_prompts == []
