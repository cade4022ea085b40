"""The classic k-diffusion samplers (heun, heunpp2, dpm_2, dpm_2_ancestral, lms, dpm_fast,
dpm_adaptive, ddpm, lcm) beyond the recorded runs: steps and cancel, model calls, batches,
sigmas ending above zero, one-step runs, their weights and step-size control."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from gaze.sampling.core import Sampler, Step
from gaze.sampling.noise import ancestral_noise
from gaze.sampling.samplers import ddpm_lcm, dpm2, dpm_solver, heun, lms
from gaze.sampling.samplers.dpm_solver import IntegralStepController, fast_step_orders
from gaze.sampling.samplers.lms import multistep_weight
from tests.sampling import sampler_harness
from tests.sampling.reference import toy_denoiser
from tests.sampling.sampler_harness import (
    SIGMAS_ABOVE_ZERO,
    SIGMAS_TO_ZERO,
    STEPS,
    CountingModel,
    start,
)

SAMPLERS: dict[str, Sampler] = {
    **heun.SAMPLERS,
    **dpm2.SAMPLERS,
    **lms.SAMPLERS,
    **dpm_solver.SAMPLERS,
    **ddpm_lcm.SAMPLERS,
}
ONE_REPORT_PER_STEP = ("heun", "heunpp2", "dpm_2", "dpm_2_ancestral", "lms", "ddpm", "lcm")
DETERMINISTIC_PER_ITEM = ("heun", "heunpp2", "dpm_2", "lms", "dpm_fast")
"""dpm_adaptive measures its error over the whole batch; the ancestral samplers draw one noise
tensor for the whole batch."""
SEED = 5
run_sampler = partial(sampler_harness.run_sampler, seed=SEED)


@pytest.mark.parametrize("name", ONE_REPORT_PER_STEP)
def test_every_step_is_reported_once_in_order(name: str) -> None:
    steps: list[Step] = []
    run_sampler(name, start(), SIGMAS_TO_ZERO, on_step=steps.append)
    assert [step.index for step in steps] == list(range(STEPS))
    assert [float(step.sigma) for step in steps] == SIGMAS_TO_ZERO[:-1].tolist()


@pytest.mark.parametrize(
    ("name", "calls"),
    [
        # Two calls a step, one for the step onto 0.
        ("heun", 2 * STEPS - 1),
        ("dpm_2", 2 * STEPS - 1),
        ("dpm_2_ancestral", 2 * STEPS - 1),
        # Three a step; two for the step before the last, one for the last.
        ("heunpp2", 3 * (STEPS - 2) + 2 + 1),
        ("lms", STEPS),
        ("ddpm", STEPS),
        ("lcm", STEPS),
        ("dpm_fast", STEPS),
    ],
)
def test_model_calls_per_run(name: str, calls: int) -> None:
    model = CountingModel()
    run_sampler(name, start(), SIGMAS_TO_ZERO, model)
    assert model.calls == calls


def test_dpm_fast_reports_each_model_call_down_to_the_last_nonzero_sigma() -> None:
    steps: list[Step] = []
    model = CountingModel()
    run_sampler("dpm_fast", start(), SIGMAS_TO_ZERO, model, steps.append)
    assert [step.index for step in steps] == list(range(STEPS))
    reported = torch.stack([step.sigma for step in steps])
    assert float(reported[0]) == pytest.approx(float(SIGMAS_TO_ZERO[0]), rel=1e-6)
    assert bool((reported[1:] < reported[:-1]).all())
    assert bool((reported > SIGMAS_TO_ZERO[-2]).all())


def test_dpm_adaptive_reports_each_attempted_step_with_three_model_calls() -> None:
    steps: list[Step] = []
    model = CountingModel()
    run_sampler("dpm_adaptive", start(), SIGMAS_TO_ZERO, model, steps.append)
    assert len(steps) >= 3
    assert [step.index for step in steps] == list(range(len(steps)))
    assert model.calls == 3 * len(steps)
    assert float(steps[0].sigma) == pytest.approx(float(SIGMAS_TO_ZERO[0]), rel=1e-6)
    sigmas = [float(step.sigma) for step in steps]
    assert sigmas == sorted(sigmas, reverse=True)
    assert sigmas[-1] > float(SIGMAS_TO_ZERO[-2])


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_raising_from_the_step_callback_stops_sampling(name: str) -> None:
    assert sampler_harness.calls_until_cancelled_at_third_step(name) <= 3 * 3


@pytest.mark.parametrize("name", DETERMINISTIC_PER_ITEM)
def test_batch_items_sample_as_they_would_alone(name: str) -> None:
    sampler_harness.assert_batch_items_sample_alone(name, atol=1e-5)


@pytest.mark.parametrize("name", ["heun", "heunpp2", "dpm_2", "lms", "dpm_fast", "dpm_adaptive"])
def test_sigmas_ending_above_zero_leave_that_much_noise(name: str) -> None:
    """Each of these integrates the zero model's ODE exactly."""
    sampler_harness.assert_zero_model_scales_the_start(name, SIGMAS_ABOVE_ZERO, rtol=1e-4)


@pytest.mark.parametrize("name", ["dpm_fast", "dpm_adaptive"])
def test_dpm_solvers_stop_at_the_last_sigma_above_zero(name: str) -> None:
    """As ComfyUI calls them: a last sigma of 0 is replaced by the one before it."""
    x = start()
    out = run_sampler(name, x, SIGMAS_TO_ZERO, CountingModel(predicts_zero=True))
    expected = x * (SIGMAS_TO_ZERO[-2] / SIGMAS_TO_ZERO[0])
    assert expected.abs().max() > 0.01
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ONE_REPORT_PER_STEP)
def test_a_step_onto_sigma_zero_ends_on_the_models_prediction(name: str) -> None:
    steps: list[Step] = []
    out = run_sampler(name, start(), SIGMAS_TO_ZERO, on_step=steps.append)
    torch.testing.assert_close(out, steps[-1].denoised, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ONE_REPORT_PER_STEP)
def test_one_step_to_zero_is_the_models_prediction(name: str) -> None:
    x = start()
    sigmas = SIGMAS_TO_ZERO[[0, -1]]
    expected = toy_denoiser(x, sigmas[:1])
    torch.testing.assert_close(run_sampler(name, x, sigmas), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize(("name", "calls"), [("dpm_fast", 1), ("dpm_adaptive", 0)])
def test_one_step_dpm_solvers_leave_the_start_as_it_is(name: str, calls: int) -> None:
    """With one step the solver's two ends are both the first sigma (ComfyUI's rule), so there
    is nothing to integrate: ComfyUI returns the noised start as it came in."""
    x = start()
    model = CountingModel()
    out = run_sampler(name, x, SIGMAS_TO_ZERO[[0, -1]], model)
    assert model.calls == calls
    torch.testing.assert_close(out, x, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["dpm_2_ancestral", "ddpm", "lcm"])
def test_step_noise_follows_the_seed(name: str) -> None:
    x = start()
    first = run_sampler(name, x, SIGMAS_TO_ZERO, seed=11)
    again = run_sampler(name, x, SIGMAS_TO_ZERO, seed=11)
    other = run_sampler(name, x, SIGMAS_TO_ZERO, seed=12)
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert (first - other).abs().max() > 1e-3


def test_lcm_renoises_the_prediction_with_the_ancestral_step_noise() -> None:
    """With a model that predicts zero, what is left is the last noise drawn, at the last sigma."""
    x = start()
    out = run_sampler("lcm", x, SIGMAS_ABOVE_ZERO, CountingModel(predicts_zero=True))
    draw = ancestral_noise(x, SEED)
    noises = [draw(SIGMAS_ABOVE_ZERO[i], SIGMAS_ABOVE_ZERO[i + 1]) for i in range(7)]
    torch.testing.assert_close(out, noises[-1] * SIGMAS_ABOVE_ZERO[-1], rtol=1e-6, atol=0)


def test_lms_weights_on_equal_steps_are_adams_bashforth() -> None:
    """Nodes one apart (newest first) and a step of one more: AB4's (55, -59, 37, -9) / 24."""
    nodes = [np.float32(node) for node in (4.0, 5.0, 6.0, 7.0)]
    weights = [multistep_weight(nodes, j, 4.0, 3.0) for j in range(4)]
    assert weights == pytest.approx([-55 / 24, 59 / 24, -37 / 24, 9 / 24], rel=1e-5)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_lms_weights_add_up_to_the_step(order: int) -> None:
    nodes = [np.float32(node) for node in (2.2, 4.1, 7.9, 14.6146)[:order]]
    weights = [multistep_weight(nodes, j, float(nodes[0]), 1.1) for j in range(order)]
    assert sum(weights) == pytest.approx(1.1 - float(nodes[0]), rel=1e-5)


@pytest.mark.parametrize(
    ("model_calls", "orders"),
    [(1, [1]), (2, [2]), (3, [2, 1]), (4, [3, 1]), (9, [3, 3, 2, 1]), (10, [3, 3, 3, 1])],
)
def test_dpm_fast_step_orders_spend_exactly_the_model_calls(
    model_calls: int, orders: list[int]
) -> None:
    assert fast_step_orders(model_calls) == orders
    assert sum(orders) == model_calls


def test_adaptive_step_controller() -> None:
    """An error at the tolerance keeps the step; a large one rejects it and shrinks the step;
    a small one accepts it and grows the step, by at most 1 + pi / 2."""
    controller = IntegralStepController(h=0.05, order=3)
    assert controller.propose_step(1.0)
    assert controller.h == pytest.approx(0.05)
    assert not controller.propose_step(1000.0)
    assert controller.h < 0.05 * 0.5
    shrunk = controller.h
    assert controller.propose_step(1e-12)
    assert shrunk < controller.h < shrunk * (1 + torch.pi / 2)
