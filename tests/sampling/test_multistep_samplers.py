"""The multistep samplers (ipndm, ipndm_v, deis, uni_pc, uni_pc_bh2) beyond the recorded runs:
steps and cancel, batches, sigmas ending above zero, one-step runs, their weights."""

from __future__ import annotations

import pytest
import torch

from gaze.sampling.core import Step
from gaze.sampling.samplers.deis import deis_weights
from gaze.sampling.samplers.ipndm import variable_step_weights
from tests.sampling import sampler_harness
from tests.sampling.reference import toy_denoiser
from tests.sampling.sampler_harness import (
    SIGMAS_ABOVE_ZERO,
    SIGMAS_TO_ZERO,
    STEPS,
    CountingModel,
    run_sampler,
    start,
)

NAMES = ("ipndm", "ipndm_v", "deis", "uni_pc", "uni_pc_bh2")


@pytest.mark.parametrize("name", NAMES)
def test_every_step_is_reported_once_in_order_with_one_model_call_each(name: str) -> None:
    calls = sampler_harness.calls_with_each_step_reported_in_order(name)
    assert calls == STEPS


@pytest.mark.parametrize("name", NAMES)
def test_raising_from_the_step_callback_stops_sampling(name: str) -> None:
    assert sampler_harness.calls_until_cancelled_at_third_step(name) == 3


@pytest.mark.parametrize("name", NAMES)
def test_batch_items_sample_as_they_would_alone(name: str) -> None:
    sampler_harness.assert_batch_items_sample_alone(name, atol=1e-6)


@pytest.mark.parametrize("name", ["ipndm", "ipndm_v", "uni_pc", "uni_pc_bh2"])
def test_sigmas_ending_above_zero_leave_that_much_noise(name: str) -> None:
    """Every sampler here integrates the zero model's ODE exactly."""
    sampler_harness.assert_zero_model_scales_the_start(name, SIGMAS_ABOVE_ZERO, rtol=1e-5)


def test_deis_weights_add_up_to_the_sigma_step() -> None:
    """The weights of each step integrate the same kernel, so they sum to the step in sigma
    (up to the 10,000-point sum); the first step and the one onto sigma 0 are Euler steps."""
    weights = deis_weights(SIGMAS_TO_ZERO)
    assert weights[0] == [] and weights[-1] == []
    assert [len(step) for step in weights[1:-1]] == [2, 3, 3, 3, 3, 3]
    for i, step in enumerate(weights[1:-1], start=1):
        sigma_step = float(SIGMAS_TO_ZERO[i + 1] - SIGMAS_TO_ZERO[i])
        assert float(sum(step)) == pytest.approx(sigma_step, rel=2e-3)


@pytest.mark.parametrize("name", ["ipndm", "ipndm_v", "deis"])
def test_a_step_onto_sigma_zero_ends_on_the_models_prediction(name: str) -> None:
    steps: list[Step] = []
    out = run_sampler(name, start(), SIGMAS_TO_ZERO, on_step=steps.append)
    torch.testing.assert_close(out, steps[-1].denoised, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["uni_pc", "uni_pc_bh2"])
def test_uni_pc_stops_at_sigma_0_001_instead_of_zero(name: str) -> None:
    """With a model that predicts zero, the result is the start scaled to sigma 0.001 (about
    0.003 here), not zero; ComfyUI's float32 VP conversions near sigma 0 add up to 1e-4."""
    x = start()
    out = run_sampler(name, x, SIGMAS_TO_ZERO, CountingModel(predicts_zero=True))
    expected = x * (0.001 / SIGMAS_TO_ZERO[0])
    assert expected.abs().max() > 2e-3
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", ["ipndm", "ipndm_v", "deis"])
def test_one_step_to_zero_is_the_models_prediction(name: str) -> None:
    x = start()
    sigmas = SIGMAS_TO_ZERO[[0, -1]]
    expected = toy_denoiser(x, sigmas[:1])
    torch.testing.assert_close(run_sampler(name, x, sigmas), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["uni_pc", "uni_pc_bh2"])
def test_one_step_uni_pc_calls_the_model_once_and_only_rescales(name: str) -> None:
    """ComfyUI's order is ``min(3, len(sigmas) - 2)``: 0 for one step, so x never moves."""
    x = start()
    model = CountingModel()
    out = run_sampler(name, x, SIGMAS_TO_ZERO[[0, -1]], model)
    scale = ((1 + 0.001**2) / (1 + float(SIGMAS_TO_ZERO[0]) ** 2)) ** 0.5
    assert model.calls == 1
    torch.testing.assert_close(out, x * scale, rtol=1e-5, atol=1e-6)


def test_ipndm_v_on_equal_steps_is_ipndm_up_to_third_order() -> None:
    equal = torch.linspace(10.0, 1.0, 4)
    torch.testing.assert_close(
        run_sampler("ipndm_v", start(), equal), run_sampler("ipndm", start(), equal)
    )


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (2, [3 / 2, -1 / 2]),
        (3, [23 / 12, -16 / 12, 5 / 12]),
        (4, [57 / 24, -65 / 24, 43 / 24, -11 / 24]),
    ],
)
def test_variable_step_weights_on_equal_steps(steps: int, expected: list[float]) -> None:
    """Adams-Bashforth's up to third order; ComfyUI's fourth-order weights are not AB4's
    (55, -59, 37, -9)/24 but still add up to 1."""
    weights = variable_step_weights([torch.tensor(-0.5)] * steps)
    assert [float(weight) for weight in weights] == pytest.approx(expected, rel=1e-6)
