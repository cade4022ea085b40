"""The newer ComfyUI samplers (res_multistep, res_multistep_ancestral, gradient_estimation,
er_sde, sa_solver, sa_solver_pece) beyond the recorded runs: steps, model calls and cancel,
one-step runs, batches, seeds, sigmas ending above zero, SA-Solver's weights."""

from __future__ import annotations

import math

import pytest
import torch

from gaze.sampling.core import Sampler, Step
from gaze.sampling.samplers import er_sde, gradient_estimation, res_multistep, sa_solver
from gaze.sampling.samplers.sa_solver_coefficients import (
    exponential_integrals,
    stochastic_adams_weights,
    tau_in_interval,
)
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

SAMPLERS: dict[str, Sampler] = {
    **res_multistep.SAMPLERS,
    **gradient_estimation.SAMPLERS,
    **er_sde.SAMPLERS,
    **sa_solver.SAMPLERS,
}
NAMES = tuple(SAMPLERS)
DETERMINISTIC = ("res_multistep", "gradient_estimation")
NOISY = ("res_multistep_ancestral", "er_sde", "sa_solver", "sa_solver_pece")
SIGMAS_ABOVE_SA_SOLVER_NOISE = torch.tensor([14.6146, 11.0, 8.0, 6.5, 5.5])
"""All above 5.09, the sigma 20% of the way through SD's schedule, where SA-Solver's noise
starts."""


def model_calls(name: str, steps: int) -> int:
    """sa_solver_pece evaluates each corrected state again, on every step but the first."""
    return 2 * steps - 1 if name == "sa_solver_pece" else steps


@pytest.mark.parametrize("name", NAMES)
def test_every_step_is_reported_once_in_order(name: str) -> None:
    calls = sampler_harness.calls_with_each_step_reported_in_order(name)
    assert calls == model_calls(name, STEPS)


@pytest.mark.parametrize("name", NAMES)
def test_raising_from_the_step_callback_stops_sampling(name: str) -> None:
    assert sampler_harness.calls_until_cancelled_at_third_step(name) == model_calls(name, 2) + 1


@pytest.mark.parametrize("name", NAMES)
def test_one_step_to_zero_is_the_models_prediction(name: str) -> None:
    x = start()
    model = CountingModel()
    sigmas = SIGMAS_TO_ZERO[[0, -1]]
    out = run_sampler(name, x, sigmas, model)
    torch.testing.assert_close(out, toy_denoiser(x, sigmas[:1]), rtol=0, atol=1e-5)
    assert model.calls == 1


@pytest.mark.parametrize("name", ["res_multistep", "gradient_estimation", "er_sde", "sa_solver"])
def test_a_step_onto_sigma_zero_ends_on_the_models_prediction(name: str) -> None:
    steps: list[Step] = []
    out = run_sampler(name, start(), SIGMAS_TO_ZERO, on_step=steps.append)
    torch.testing.assert_close(out, steps[-1].denoised, rtol=0, atol=1e-6)


def test_sa_solver_pece_corrects_the_last_state_before_its_last_prediction() -> None:
    """PECE corrects at every step after the first, the last included, and ends on the
    model's prediction at the corrected state, not at the reported one."""
    steps: list[Step] = []
    out = run_sampler("sa_solver_pece", start(), SIGMAS_TO_ZERO, on_step=steps.append)
    assert (out - steps[-1].denoised).abs().max() > 1e-4
    plain = run_sampler("sa_solver", start(), SIGMAS_TO_ZERO)
    assert (out - plain).abs().max() > 1e-4


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_batch_items_sample_as_they_would_alone(name: str) -> None:
    sampler_harness.assert_batch_items_sample_alone(name, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_only_the_noisy_samplers_depend_on_the_seed(name: str) -> None:
    first = run_sampler(name, start(), SIGMAS_TO_ZERO, seed=1)
    again = run_sampler(name, start(), SIGMAS_TO_ZERO, seed=1)
    other = run_sampler(name, start(), SIGMAS_TO_ZERO, seed=2)
    assert torch.equal(first, again)
    if name in NOISY:
        assert (first - other).abs().max() > 1e-3
    else:
        assert torch.equal(first, other)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_sigmas_ending_above_zero_leave_that_much_noise(name: str) -> None:
    """These samplers integrate the zero model's ODE exactly."""
    sampler_harness.assert_zero_model_scales_the_start(name, SIGMAS_ABOVE_ZERO, rtol=1e-5)


@pytest.mark.parametrize("name", ["sa_solver", "sa_solver_pece"])
def test_sa_solver_adds_no_noise_above_its_interval(name: str) -> None:
    """Steps landing above the 20% sigma follow the ODE: with a model that predicts zero the
    result is the start scaled to the last sigma, whatever the seed."""
    x = start()
    sigmas = SIGMAS_ABOVE_SA_SOLVER_NOISE
    out = run_sampler(name, x, sigmas, CountingModel(predicts_zero=True), seed=7)
    torch.testing.assert_close(out, x * (sigmas[-1] / sigmas[0]), rtol=1e-5, atol=1e-6)


def test_sa_solver_adds_noise_inside_its_interval() -> None:
    x = start()
    sigmas = torch.tensor([14.6146, 4.0, 2.0])
    seeded = [
        run_sampler("sa_solver", x, sigmas, CountingModel(predicts_zero=True), seed=seed)
        for seed in (1, 2)
    ]
    assert (seeded[0] - seeded[1]).abs().max() > 1e-2


def test_tau_is_eta_within_the_interval_bounds_included() -> None:
    tau = tau_in_interval(5.0, 0.5)
    sigmas = [6.0, 5.0, 1.0, 0.5, 0.4]
    assert [tau(torch.tensor(sigma)) for sigma in sigmas] == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert tau_in_interval(5.0, 0.5, eta=0.0)(torch.tensor(1.0)) == 0.0


@pytest.mark.parametrize("tau", [0.0, 1.0])
def test_exponential_integrals_by_parts_match_their_closed_form(tau: float) -> None:
    """``a * integral of x**p * exp(a * x)`` from s to t over ``exp(a * t)``, ``a = 1 + tau**2``,
    worked out by hand for p = 0, 1, 2."""
    s, t = torch.tensor(-0.7, dtype=torch.float64), torch.tensor(0.4, dtype=torch.float64)
    a = 1 + tau**2
    decay = math.exp(-a * float(t - s))

    def antiderivative(x: float, p: int) -> float:
        return [1.0, x - 1 / a, x**2 - 2 * x / a + 2 / a**2][p]

    expected = [antiderivative(float(t), p) - antiderivative(float(s), p) * decay for p in range(3)]
    assert exponential_integrals(s, t, 3, tau).tolist() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("tau", [0.0, 1.0])
def test_adams_weights_add_up_to_the_first_order_step(order: int, tau: float) -> None:
    """The Lagrange basis sums to 1, so the weights of any order add up to the first-order
    weight ``alpha_t * (1 - exp(-(1 + tau**2) * h))``."""
    step_lambdas = torch.tensor([-1.9, -1.2, -0.6, 0.1], dtype=torch.float64)[-order:]
    lambda_s, lambda_t = step_lambdas[-1], torch.tensor(0.8, dtype=torch.float64)
    sigma_next = (-lambda_t).exp()
    weights = stochastic_adams_weights(sigma_next, step_lambdas, lambda_s, lambda_t, tau)
    h = float(lambda_t - lambda_s)
    first_order = float(sigma_next * lambda_t.exp()) * (1 - math.exp(-(1 + tau**2) * h))
    assert weights.shape == (order,)
    assert float(weights.sum()) == pytest.approx(first_order, rel=1e-9)


def test_adams_weights_integrate_a_linear_denoised_exactly() -> None:
    """Second order and up integrate a ``denoised`` linear in lambda, ``0.3 + 2 * lambda``,
    without error: ``alpha_t * integral of (0.3 + 2 * x) * exp(x - t)`` from s to t (tau 0)."""
    step_lambdas = torch.tensor([-1.2, -0.6, 0.1], dtype=torch.float64)
    lambda_s, lambda_t = step_lambdas[-1], torch.tensor(0.8, dtype=torch.float64)
    sigma_next = (-lambda_t).exp()
    weights = stochastic_adams_weights(sigma_next, step_lambdas, lambda_s, lambda_t, 0.0)
    values = 0.3 + 2.0 * step_lambdas
    s, t = float(lambda_s), float(lambda_t)
    decay = math.exp(s - t)
    integral = 0.3 * (1 - decay) + 2.0 * ((t - 1) - (s - 1) * decay)
    exact = float(sigma_next * lambda_t.exp()) * integral
    assert float((weights * values).sum()) == pytest.approx(exact, rel=1e-9)
