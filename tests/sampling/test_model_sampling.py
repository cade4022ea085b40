"""ComfyUI's discrete model sampling: the noise levels, timesteps, noise scaling and x0."""

from __future__ import annotations

import math

import pytest
import torch

from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.noise import ancestral_noise, start_noise, step_noise_seed
from tests.sampling.reference import reference


def test_sd1_noise_levels_match_comfyuis() -> None:
    recorded = reference()["model_sampling"]
    sampling = DiscreteModelSampling()
    assert len(sampling.sigmas) == 1000
    assert float(sampling.sigma_min) == pytest.approx(recorded["sigma_min"], abs=1e-7)
    assert float(sampling.sigma_max) == pytest.approx(recorded["sigma_max"], abs=1e-6)
    assert torch.all(sampling.sigmas[1:] > sampling.sigmas[:-1])


def test_a_sigma_maps_to_the_nearest_training_timestep_and_back() -> None:
    sampling = DiscreteModelSampling()
    timesteps = torch.tensor([0.0, 1.0, 250.0, 999.0])
    sigmas = sampling.sigma(timesteps)
    assert torch.equal(sampling.timestep(sigmas), timesteps.long())
    between = sampling.sigma(torch.tensor([500.5]))
    low, high = sampling.sigmas[500], sampling.sigmas[501]
    assert float(between) == pytest.approx(math.sqrt(float(low) * float(high)), rel=1e-5)
    assert sampling.timestep(torch.tensor([1e6])).item() == 999
    assert sampling.timestep(torch.tensor([1e-6])).item() == 0


def test_percent_to_sigma_runs_from_the_top_to_zero() -> None:
    sampling = DiscreteModelSampling()
    assert sampling.percent_to_sigma(0.0) > 1e8
    assert sampling.percent_to_sigma(1.0) == 0.0
    assert sampling.percent_to_sigma(0.5) == pytest.approx(
        float(sampling.sigma(torch.tensor(499.5)))
    )


def test_start_noise_scaling_uses_sqrt_of_one_plus_sigma_squared_at_the_top() -> None:
    sampling = DiscreteModelSampling()
    noise = torch.ones(1, 4, 2, 2)
    latent = torch.full((1, 4, 2, 2), 0.5)
    top = float(sampling.sigma_max)
    assert sampling.is_max_denoise(top)
    assert not sampling.is_max_denoise(top * 0.9)
    scaled = sampling.noise_scaling(top, noise, latent, max_denoise=True)
    assert torch.allclose(scaled, torch.full_like(latent, math.sqrt(1 + top**2) + 0.5))
    assert torch.allclose(sampling.noise_scaling(2.0, noise, latent), torch.full_like(latent, 2.5))


def test_eps_and_v_prediction_give_x0() -> None:
    x0 = torch.randn(2, 4, 3, 3, generator=torch.manual_seed(1))
    noise = torch.randn(2, 4, 3, 3, generator=torch.manual_seed(2))
    sigma = torch.tensor([0.5, 3.0])
    x = x0 + noise * sigma.reshape(-1, 1, 1, 1)
    eps = DiscreteModelSampling(prediction="eps")
    assert torch.allclose(eps.calculate_denoised(sigma, noise, x), x0, atol=1e-5)
    # v = alpha * noise - sigma_t * x0 in the variance-preserving frame, alpha = 1/sqrt(1+s^2)
    s = sigma.reshape(-1, 1, 1, 1)
    alpha, sigma_t = 1 / (1 + s**2).sqrt(), s / (1 + s**2).sqrt()
    v = alpha * noise - sigma_t * x0
    v_model = DiscreteModelSampling(prediction="v_prediction")
    assert torch.allclose(v_model.calculate_denoised(sigma, v, x), x0, atol=1e-5)
    assert torch.allclose(eps.calculate_input(sigma, x), x * alpha)


def test_zero_terminal_snr_keeps_the_first_level_and_ends_near_pure_noise() -> None:
    plain = DiscreteModelSampling()
    rescaled = DiscreteModelSampling(zero_terminal_snr=True)
    assert float(rescaled.sigma_min) == pytest.approx(float(plain.sigma_min), rel=1e-4)
    assert float(rescaled.sigma_max) == pytest.approx(
        1 / math.sqrt(4.8973451890853435e-08), rel=1e-3
    )


def test_an_unknown_prediction_type_is_refused() -> None:
    with pytest.raises(ValueError, match="prediction"):
        DiscreteModelSampling(prediction="flow")  # type: ignore[arg-type]


def test_start_noise_is_the_seeded_cpu_normal_draw() -> None:
    expected = torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(2**33 + 5))
    assert torch.equal(start_noise((1, 4, 8, 8), 2**33 + 5), expected)
    assert start_noise((1, 4, 2, 2), 2**64 - 1).shape == (1, 4, 2, 2)


def test_ancestral_step_noise_has_its_own_generator_seeded_one_higher_on_the_cpu() -> None:
    x = torch.zeros(1, 4, 2, 2)
    draw = ancestral_noise(x, 42)
    first, second = draw(torch.tensor(1.0), torch.tensor(0.5)), draw(torch.tensor(0.5), 0)
    generator = torch.Generator().manual_seed(43)
    assert torch.equal(first, torch.randn(x.shape, generator=generator))
    assert torch.equal(second, torch.randn(x.shape, generator=generator))
    assert step_noise_seed(2**64 - 1, torch.device("cpu")) == 0
