"""The bar's shares on ComfyUI: each sampler node by the steps it runs, like the embedded
engine's passes, so one job's progress moves alike on both backends."""

from __future__ import annotations

import pytest

from gaze.engines.comfyui.sampling_progress import SamplingProgress, sampler_weights, steps_run


def ksampler(steps: object, **inputs: object) -> dict[str, object]:
    return {"class_type": "KSampler", "inputs": {"steps": steps, "denoise": 1.0, **inputs}}


def test_a_ksampler_runs_its_steps_whatever_its_denoise() -> None:
    assert steps_run(ksampler(20)) == 20
    assert steps_run(ksampler(12, denoise=0.4)) == 12  # ComfyUI's denoise rule keeps the count
    assert steps_run(ksampler(["5", 0])) is None  # a link: unknown
    assert steps_run(ksampler(True)) is None
    assert steps_run(ksampler(0)) is None


def test_a_ksampler_advanced_runs_from_its_start_to_its_end() -> None:
    def advanced(start: int, end: int) -> dict[str, object]:
        inputs = {"steps": 20, "start_at_step": start, "end_at_step": end}
        return {"class_type": "KSamplerAdvanced", "inputs": inputs}

    assert steps_run(advanced(14, 20)) == 6
    assert steps_run(advanced(0, 10000)) == 20
    assert steps_run(advanced(20, 10000)) is None  # runs nothing: no share


def test_weights_are_steps_and_unknown_samplers_take_the_average() -> None:
    graph = {
        "3": ksampler(20),
        "12": ksampler(10, denoise=0.5),
        "20": {"class_type": "SamplerCustom", "inputs": {"sigmas": ["21", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {}},
    }
    assert sampler_weights(graph) == {"3": 20.0, "12": 10.0, "20": 15.0}
    assert sampler_weights(graph, skip=["3", "20"]) == {"12": 10.0}


def test_the_fraction_follows_the_steps_of_a_hires_job() -> None:
    progress = SamplingProgress(sampler_weights({"3": ksampler(20), "12": ksampler(10)}))
    assert progress.update("3", 10, 20) == pytest.approx(10 / 30)
    assert progress.update("3", 20, 20) == pytest.approx(20 / 30)
    assert progress.update("12", 5, 10) == pytest.approx(25 / 30)
    assert progress.update("12", 10, 10) == 0.99  # 1.0 only once the image is fetched
    assert progress.finish() == 1.0


def test_an_unexpected_node_joins_with_the_average_and_the_bar_never_goes_back() -> None:
    progress = SamplingProgress({"3": 10.0})
    assert progress.update("3", 10, 10) == 0.99  # all expected work done
    assert progress.update("40", 1, 10) is None  # a surprise node: the bar holds, never drops
    assert progress.reported == 0.99


def test_a_cached_sampler_gives_its_share_to_the_rest() -> None:
    graph = {"3": ksampler(20), "12": ksampler(10)}
    progress = SamplingProgress(sampler_weights(graph))
    progress.expect(sampler_weights(graph, skip=["3"]))
    assert progress.update("12", 5, 10) == pytest.approx(0.5)
