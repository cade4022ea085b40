"""Every recorded ComfyUI run: our sigmas within 1e-5 and our final latent within 1e-4."""

from __future__ import annotations

import pytest

from gaze.sampling.registry import COMFYUI_SAMPLER_ORDER, SAMPLERS
from gaze.sampling.schedulers import SCHEDULER_NAMES, ksampler_sigmas
from tests.sampling.reference import (
    SIGMA_TOLERANCE,
    Case,
    cases,
    max_difference,
    run_case,
    sd1_model_sampling,
    worst_excess,
)

CASES = cases()


def our_sigmas(case: Case):  # type: ignore[no-untyped-def]
    return ksampler_sigmas(
        sd1_model_sampling(), case.scheduler, case.steps, case.denoise, case.sampler
    )


def test_the_reference_covers_every_sampler_and_scheduler_we_run() -> None:
    assert {case.sampler for case in CASES} == set(SAMPLERS) == set(COMFYUI_SAMPLER_ORDER)
    assert {case.scheduler for case in CASES} == set(SCHEDULER_NAMES)
    assert len(CASES) == 999


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_sigmas_match_comfyui(case: Case) -> None:
    ours = our_sigmas(case)
    recorded = case.scheduler_sigmas()
    assert ours.shape == recorded.shape, f"{len(ours)} sigmas, ComfyUI has {len(recorded)}"
    assert max_difference(ours, recorded) <= SIGMA_TOLERANCE


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_final_latent_matches_comfyui(case: Case) -> None:
    ours, recorded = run_case(case, our_sigmas(case)), case.recorded_output()
    difference = max_difference(ours, recorded)
    assert worst_excess(ours, recorded) <= 1.0, f"max |ours - ComfyUI| = {difference:.3g}"
