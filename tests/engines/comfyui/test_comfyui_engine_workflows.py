"""ComfyUIEngine running custom workflows (a spec's own, or the engine's) on a stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from gaze.engines.base import BackendUnavailable, CancelToken, EngineError, ModelNotFound
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.generation_spec import GenerationSpec, LoraSpec
from tests.comfyui_standin import ComfyUIStandIn
from tests.engines.comfyui.engine_jobs import ProgressLog, same_pixels, spec
from tests.support.template_examples import (
    fixed_vae_template,
    text_to_image_template,
    with_template,
)


def templated(template: dict[str, Any], **changes: Any) -> GenerationSpec:
    return with_template(spec(**changes), template)


def test_a_spec_runs_the_workflow_it_carries(standin: ComfyUIStandIn) -> None:
    engine = ComfyUIEngine(standin.url)
    job_spec = templated(
        text_to_image_template(),
        loras=(LoraSpec("style/ink.safetensors", 0.7, 0.2),),
        vae="sdxl_vae.safetensors",
    )
    progress = ProgressLog()
    result = engine.generate(job_spec, progress, CancelToken())
    progress.assert_monotonic_to_one()
    assert same_pixels(result, 31337, 256, 192)
    sent = standin.history()[result.info["prompt_id"]]["prompt"][2]
    assert set(sent) == {"3", "4", "5", "6", "7", "8", "9", "30"}
    assert sent["6"]["inputs"]["text"] == "masterpiece, a lighthouse"
    assert sent["30"]["inputs"]["lora_name"] == "style/ink.safetensors"
    assert sent["30"]["inputs"]["strength_clip"] == 0.2
    assert sent["8"]["inputs"]["vae"] == ["4", 2]  # the template decides the VAE


def test_the_specs_workflow_replaces_the_engines(standin: ComfyUIStandIn) -> None:
    engine_template = text_to_image_template()
    engine_template["9"]["inputs"]["filename_prefix"] = "engine_default"
    engine = ComfyUIEngine(standin.url, workflow_template=engine_template)
    plain = engine.generate(spec(), ProgressLog(), CancelToken())
    assert plain.info["comfyui_image"]["filename"].startswith("engine_default_")
    own = engine.generate(templated(text_to_image_template(), seed=5), ProgressLog(), CancelToken())
    assert own.info["comfyui_image"]["filename"].startswith("t_")
    assert same_pixels(own, 5, 256, 192)


def test_model_files_named_by_a_workflow_are_checked_before_queueing(
    standin: ComfyUIStandIn,
) -> None:
    engine = ComfyUIEngine(standin.url)
    job_spec = templated(fixed_vae_template("missing_vae.safetensors"))
    with pytest.raises(ModelNotFound) as raised:
        engine.generate(job_spec, ProgressLog(), CancelToken())
    assert str(raised.value).endswith(" does not have VAE 'missing_vae.safetensors'")
    assert standin.history() == {}
    good = templated(fixed_vae_template("sdxl_vae.safetensors"))
    assert same_pixels(engine.generate(good, ProgressLog(), CancelToken()), 31337, 256, 192)


def test_an_unusable_workflow_fails_the_job_saying_why(standin: ComfyUIStandIn) -> None:
    broken = text_to_image_template()
    del broken["9"]
    with pytest.raises(EngineError, match="the template has no output node") as raised:
        ComfyUIEngine(standin.url).generate(templated(broken), ProgressLog(), CancelToken())
    assert not isinstance(raised.value, BackendUnavailable)
    assert standin.history() == {}
