"""The schedulers and KSampler's sigma rule beyond the recorded 10-step runs: other step counts
worked out by hand, lengths, order, the discard and denoise rules, and refused arguments."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import special
from torch import Tensor

from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.names import SCHEDULER_NAMES
from gaze.sampling.run import sample
from gaze.sampling.schedulers import (
    DISCARD_PENULTIMATE_SIGMA_SAMPLERS,
    SCHEDULERS,
    UnknownScheduler,
    ksampler_sigmas,
    scheduler_sigmas,
)

SD = DiscreteModelSampling()
STEP_COUNTS = (1, 2, 3, 7, 10, 11, 25, 40, 100)
SAME_LENGTH_SCHEDULERS = tuple(
    name for name in SCHEDULER_NAMES if name not in ("ddim_uniform", "beta")
)
"""``ddim_uniform`` and ``beta`` can give more or fewer than ``steps + 1`` sigmas."""


def sd_sigma(timestep: int) -> float:
    """SD's noise level at a training timestep, from its beta schedule, in float64."""
    low, high = math.sqrt(0.00085), math.sqrt(0.012)
    alpha_cumprod = 1.0
    for t in range(timestep + 1):
        alpha_cumprod *= 1.0 - (low + t * (high - low) / 999) ** 2
    return math.sqrt((1.0 - alpha_cumprod) / alpha_cumprod)


SIGMA_MIN, SIGMA_MAX = sd_sigma(0), sd_sigma(999)


def assert_close(ours: Tensor, expected: list[float]) -> None:
    assert ours.dtype == torch.float32
    assert ours.tolist() == pytest.approx(expected, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name", SCHEDULER_NAMES)
@pytest.mark.parametrize("steps", STEP_COUNTS)
def test_every_schedule_descends_from_at_most_sigma_max_to_zero(name: str, steps: int) -> None:
    sigmas = scheduler_sigmas(name, SD, steps)
    assert sigmas.dtype == torch.float32
    assert not torch.isnan(sigmas).any()
    assert float(sigmas[0]) <= SIGMA_MAX * (1 + 1e-6)
    assert float(sigmas[-1]) == 0.0
    assert float(sigmas[-2]) > 0.0
    assert torch.all(sigmas[1:] <= sigmas[:-1])


@pytest.mark.parametrize("name", SAME_LENGTH_SCHEDULERS)
@pytest.mark.parametrize("steps", STEP_COUNTS)
def test_a_schedule_has_one_sigma_more_than_it_has_steps(name: str, steps: int) -> None:
    assert len(scheduler_sigmas(name, SD, steps)) == steps + 1


@pytest.mark.parametrize("name", [n for n in SCHEDULER_NAMES if n != "ddim_uniform"])
def test_one_step_goes_from_sigma_max_straight_to_zero(name: str) -> None:
    assert_close(scheduler_sigmas(name, SD, 1), [SIGMA_MAX, 0.0])


def test_one_ddim_uniform_step_starts_at_the_second_noise_level() -> None:
    assert_close(scheduler_sigmas("ddim_uniform", SD, 1), [sd_sigma(1), 0.0])


def test_karras_is_even_in_the_seventh_root_of_sigma() -> None:
    top, bottom = SIGMA_MAX ** (1 / 7), SIGMA_MIN ** (1 / 7)
    expected = [(top + i / 3 * (bottom - top)) ** 7 for i in range(4)]
    assert_close(scheduler_sigmas("karras", SD, 4), [*expected, 0.0])


def test_exponential_is_even_in_log_sigma() -> None:
    top, bottom = math.log(SIGMA_MAX), math.log(SIGMA_MIN)
    expected = [math.exp(top + i / 4 * (bottom - top)) for i in range(5)]
    assert_close(scheduler_sigmas("exponential", SD, 5), [*expected, 0.0])


def test_kl_optimal_is_even_in_the_arctangent_of_sigma() -> None:
    top, bottom = math.atan(SIGMA_MAX), math.atan(SIGMA_MIN)
    expected = [math.tan(top + i / 2 * (bottom - top)) for i in range(3)]
    assert_close(scheduler_sigmas("kl_optimal", SD, 3), [*expected, 0.0])


def test_normal_and_sgm_uniform_space_the_timesteps_evenly() -> None:
    # 4 timesteps from 999 to 0 are whole numbers, so no interpolation is involved
    quarters = [sd_sigma(t) for t in (999, 666, 333, 0)]
    assert_close(scheduler_sigmas("normal", SD, 4), [*quarters, 0.0])
    assert_close(scheduler_sigmas("sgm_uniform", SD, 3), [*quarters[:3], 0.0])


def test_normal_interpolates_a_fractional_timestep_in_log_sigma() -> None:
    # linspace(999, 0, 3) has 499.5 in the middle
    middle = math.sqrt(sd_sigma(499) * sd_sigma(500))
    assert_close(scheduler_sigmas("normal", SD, 3), [SIGMA_MAX, middle, SIGMA_MIN, 0.0])


def test_simple_counts_down_every_len_over_steps_th_level() -> None:
    expected = [sd_sigma(t) for t in (999, 749, 499, 249)]
    assert_close(scheduler_sigmas("simple", SD, 4), [*expected, 0.0])


def test_ddim_uniform_counts_up_from_the_second_level_in_whole_strides() -> None:
    expected = [sd_sigma(t) for t in (751, 501, 251, 1)]
    assert_close(scheduler_sigmas("ddim_uniform", SD, 4), [*expected, 0.0])
    # 1000 // 7 = 142 leaves room for an eighth level: 1, 143, ..., 995
    seven = scheduler_sigmas("ddim_uniform", SD, 7)
    assert_close(seven, [*(sd_sigma(1 + 142 * k) for k in range(7, -1, -1)), 0.0])


def beta_quantile(probability: float) -> float:
    """The Beta(0.6, 0.6) quantile by bisection on its distribution function."""
    low, high = 0.0, 1.0
    for _ in range(80):
        middle = (low + high) / 2
        if special.betainc(0.6, 0.6, middle) < probability:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def test_beta_takes_timesteps_at_beta_quantiles() -> None:
    timesteps = [round(beta_quantile(1 - i / 4) * 999) for i in range(4)]
    assert timesteps[0] == 999
    expected = [sd_sigma(t) for t in timesteps]
    assert_close(scheduler_sigmas("beta", SD, 4), [*expected, 0.0])


def test_beta_drops_a_timestep_equal_to_the_one_before() -> None:
    timesteps = [round(beta_quantile(1 - i / 400) * 999) for i in range(400)]
    distinct = [t for i, t in enumerate(timesteps) if i == 0 or t != timesteps[i - 1]]
    assert len(distinct) < 400
    sigmas = scheduler_sigmas("beta", SD, 400)
    assert len(sigmas) == len(distinct) + 1
    assert torch.all(sigmas[1:] < sigmas[:-1])


def test_linear_quadratic_falls_linearly_then_quadratically() -> None:
    # 4 steps: 2 linear ones by 0.025 / 2, then 0.2375 i^2 - 0.9375 i + 0.95 for i = 2, 3
    fractions = [1.0, 0.9875, 0.975, 0.725, 0.0]
    assert_close(scheduler_sigmas("linear_quadratic", SD, 4), [f * SIGMA_MAX for f in fractions])


def test_the_schedulers_are_comfyuis_in_menu_order() -> None:
    assert tuple(SCHEDULERS) == SCHEDULER_NAMES


def test_an_unknown_scheduler_is_refused_naming_the_valid_ones() -> None:
    with pytest.raises(UnknownScheduler, match="'turbo'") as refused:
        scheduler_sigmas("turbo", SD, 10)
    assert all(name in str(refused.value) for name in SCHEDULER_NAMES)
    with pytest.raises(ValueError, match="'turbo'"):
        ksampler_sigmas(SD, "turbo", 10, 1.0, "euler")


@pytest.mark.parametrize("steps", [0, -3])
def test_fewer_than_one_step_is_refused(steps: int) -> None:
    with pytest.raises(ValueError, match="steps must be at least 1"):
        scheduler_sigmas("karras", SD, steps)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        ksampler_sigmas(SD, "karras", steps, 1.0, "euler")


@pytest.mark.parametrize("denoise", [-0.1, 1.01, math.nan])
def test_a_denoise_outside_zero_to_one_is_refused(denoise: float) -> None:
    with pytest.raises(ValueError, match="denoise must be between 0 and 1"):
        ksampler_sigmas(SD, "normal", 10, denoise, "euler")


def test_an_unknown_sampler_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sampler 'dpm2'"):
        ksampler_sigmas(SD, "normal", 10, 1.0, "dpm2")


def without_penultimate(sigmas: Tensor) -> Tensor:
    return torch.cat([sigmas[:-2], sigmas[-1:]])


@pytest.mark.parametrize("sampler", sorted(DISCARD_PENULTIMATE_SIGMA_SAMPLERS))
def test_some_samplers_get_one_step_more_without_the_penultimate_sigma(sampler: str) -> None:
    top, bottom = SIGMA_MAX ** (1 / 7), SIGMA_MIN ** (1 / 7)
    six_steps = [(top + i / 5 * (bottom - top)) ** 7 for i in range(6)]
    sigmas = ksampler_sigmas(SD, "karras", 5, 1.0, sampler)
    assert_close(sigmas, [*six_steps[:5], 0.0])
    assert torch.equal(sigmas, without_penultimate(scheduler_sigmas("karras", SD, 6)))


def test_other_samplers_get_the_schedule_as_it_is() -> None:
    for sampler in ("euler", "euler_ancestral", "heun", "lms", "dpmpp_2m"):
        assert torch.equal(
            ksampler_sigmas(SD, "karras", 5, 1.0, sampler), scheduler_sigmas("karras", SD, 5)
        )


def test_partial_denoise_keeps_the_tail_of_a_longer_schedule() -> None:
    # int(10 / 0.55) = 18, not the rounded 19
    sigmas = ksampler_sigmas(SD, "normal", 10, 0.55, "euler")
    assert torch.equal(sigmas, scheduler_sigmas("normal", SD, 18)[-11:])
    assert not torch.equal(sigmas, scheduler_sigmas("normal", SD, 19)[-11:])
    quarter = ksampler_sigmas(SD, "simple", 2, 0.25, "euler")
    assert_close(quarter, [sd_sigma(249), sd_sigma(124), 0.0])


def test_partial_denoise_applies_the_discard_rule_to_the_longer_schedule() -> None:
    sigmas = ksampler_sigmas(SD, "karras", 4, 0.5, "uni_pc")
    assert torch.equal(sigmas, without_penultimate(scheduler_sigmas("karras", SD, 9))[-5:])


def test_a_denoise_within_a_ten_thousandth_of_one_is_full() -> None:
    full = scheduler_sigmas("karras", SD, 20000)
    assert torch.equal(ksampler_sigmas(SD, "karras", 20000, 0.99995, "euler"), full)
    # int(20000 / 0.9999) = 20002 steps, of which the last 20001 sigmas
    nearly = ksampler_sigmas(SD, "karras", 20000, 0.9999, "euler")
    assert len(nearly) == 20001 and float(nearly[0]) < float(full[0])


def test_zero_denoise_gives_no_sigmas_and_the_latent_back_untouched() -> None:
    sigmas = ksampler_sigmas(SD, "karras", 10, 0.0, "euler")
    assert sigmas.shape == (0,) and sigmas.dtype == torch.float32
    latent = torch.full((1, 4, 2, 2), 0.25)

    def model(x: Tensor, sigma: Tensor) -> Tensor:
        raise AssertionError("the model is not called")

    assert torch.equal(sample(model, SD, latent, sigmas, seed=1, sampler="euler"), latent)


def test_a_schedule_ending_at_zero_noise_gets_no_extra_zero() -> None:
    # betas this small put the model's lowest noise levels within 1e-5 of zero
    near_zero = DiscreteModelSampling(linear_start=1e-12, linear_end=1e-5)
    assert float(near_zero.sigmas[1]) < 1e-5
    normal = scheduler_sigmas("normal", near_zero, 3)
    assert torch.allclose(normal, near_zero.sigmas[[999, 666, 333, 0]], rtol=1e-5)
    ddim = scheduler_sigmas("ddim_uniform", near_zero, 4)
    assert torch.equal(ddim, near_zero.sigmas[[801, 601, 401, 201, 1]])


def test_zero_terminal_snr_schedules_start_at_its_much_higher_sigma_max() -> None:
    rescaled = DiscreteModelSampling(prediction="v_prediction", zero_terminal_snr=True)
    top = float(rescaled.sigma_max)
    assert top > 4000
    for name in SCHEDULER_NAMES:
        sigmas = scheduler_sigmas(name, rescaled, 8)
        assert float(sigmas[-1]) == 0.0 and torch.all(sigmas[1:] <= sigmas[:-1])
        if name != "ddim_uniform":
            # kl_optimal's float32 tan(atan(4518)) is off by 1.3e-4, as ComfyUI's is
            assert float(sigmas[0]) == pytest.approx(top, rel=2e-4)
