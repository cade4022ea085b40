"""The DPM++, SEEDS and exponential Heun samplers beyond the recorded runs: steps and cancel,
model calls per step, seeds, the ``_gpu`` twins, sigmas ending above zero, one-step runs."""

from __future__ import annotations

import pytest
import torch

from tests.sampling import sampler_harness
from tests.sampling.reference import toy_denoiser
from tests.sampling.sampler_harness import (
    SIGMAS_TO_ZERO,
    STEPS,
    CountingModel,
    run_sampler,
    start,
)

SIGMAS_ABOVE_ZERO = torch.tensor([14.6146, 9.0, 5.5, 3.1, 1.7, 0.9, 0.4, 0.2])

CALLS_PER_STEP = {
    "dpmpp_2s_ancestral": 2,
    "dpmpp_sde": 2,
    "dpmpp_sde_gpu": 2,
    "dpmpp_2m": 1,
    "dpmpp_2m_sde": 1,
    "dpmpp_2m_sde_gpu": 1,
    "dpmpp_2m_sde_heun": 1,
    "dpmpp_2m_sde_heun_gpu": 1,
    "dpmpp_3m_sde": 1,
    "dpmpp_3m_sde_gpu": 1,
    "seeds_2": 2,
    "seeds_3": 3,
    "exp_heun_2_x0": 2,
    "exp_heun_2_x0_sde": 2,
}
"""Model calls of a step that does not end at sigma 0 (one that does calls the model once)."""
NAMES = tuple(CALLS_PER_STEP)
DETERMINISTIC = ("dpmpp_2m", "exp_heun_2_x0")
STOCHASTIC = tuple(name for name in NAMES if name not in DETERMINISTIC)
GPU_TWINS = [name for name in NAMES if name.endswith("_gpu")]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torchsde: a query rounded past its ends
@pytest.mark.parametrize("name", NAMES)
def test_every_step_is_reported_once_in_order_with_its_model_calls(name: str) -> None:
    calls = sampler_harness.calls_with_each_step_reported_in_order(name)
    assert calls == CALLS_PER_STEP[name] * (STEPS - 1) + 1


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", NAMES)
def test_raising_from_the_step_callback_stops_sampling(name: str) -> None:
    assert sampler_harness.calls_until_cancelled_at_third_step(name) == 2 * CALLS_PER_STEP[name] + 1


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", STOCHASTIC)
def test_the_step_noise_comes_from_the_seed(name: str) -> None:
    first = run_sampler(name, start(), SIGMAS_TO_ZERO, seed=7)
    again = run_sampler(name, start(), SIGMAS_TO_ZERO, seed=7)
    other = run_sampler(name, start(), SIGMAS_TO_ZERO, seed=8)
    assert torch.equal(first, again)
    assert (first - other).abs().max() > 1e-3


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", GPU_TWINS)
def test_a_gpu_variant_on_a_cpu_latent_is_its_cpu_twin(name: str) -> None:
    """ComfyUI's ``_gpu`` samplers build the Brownian tree on the latent's device: here the
    CPU, the same tree as the other variant's."""
    cpu_twin = name.removesuffix("_gpu")
    torch.testing.assert_close(
        run_sampler(name, start(), SIGMAS_TO_ZERO, seed=11),
        run_sampler(cpu_twin, start(), SIGMAS_TO_ZERO, seed=11),
        rtol=0,
        atol=0,
    )


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_batch_items_sample_as_they_would_alone(name: str) -> None:
    sampler_harness.assert_batch_items_sample_alone(name, atol=1e-6)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_sigmas_ending_above_zero_leave_that_much_noise(name: str) -> None:
    """These exponential integrators solve the zero model's ODE exactly."""
    sampler_harness.assert_zero_model_scales_the_start(name, SIGMAS_ABOVE_ZERO, rtol=1e-5)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", STOCHASTIC)
def test_stochastic_samplers_end_at_the_last_sigmas_noise_level(name: str) -> None:
    """With a model that predicts zero, each step shrinks x and adds just enough fresh noise to
    stay at the next sigma: unit noise scaled to the first sigma ends with the last one's
    spread (16,384 values: a relative error near 1%)."""
    x = start(size=64)
    out = run_sampler(name, x, SIGMAS_ABOVE_ZERO, CountingModel(predicts_zero=True))
    spread_ratio = float(out.std() / x.std())
    expected_ratio = float(SIGMAS_ABOVE_ZERO[-1] / SIGMAS_ABOVE_ZERO[0])
    assert spread_ratio == pytest.approx(expected_ratio, rel=0.05)
    correlation = torch.corrcoef(torch.stack([out.flatten(), x.flatten()]))[0, 1]
    assert float(correlation) < 0.5


@pytest.mark.parametrize("name", NAMES)
def test_one_step_to_zero_is_the_models_prediction(name: str) -> None:
    """``dpmpp_2s_ancestral`` gets there by an Euler step, so up to the rounding of an x near
    15; the others return the prediction itself."""
    x = start()
    sigmas = SIGMAS_TO_ZERO[[0, -1]]
    model = CountingModel()
    expected = toy_denoiser(x, sigmas[:1])
    tolerance = 1e-5 if name == "dpmpp_2s_ancestral" else 0.0
    out = run_sampler(name, x, sigmas, model)
    torch.testing.assert_close(out, expected, rtol=0, atol=tolerance)
    assert model.calls == 1


@pytest.mark.parametrize("name", NAMES)
def test_a_single_sigma_leaves_the_latent_alone(name: str) -> None:
    x = start()
    model = CountingModel()
    assert torch.equal(run_sampler(name, x, SIGMAS_TO_ZERO[:1], model), x)
    assert model.calls == 0
