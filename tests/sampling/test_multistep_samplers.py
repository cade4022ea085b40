"""The multistep samplers (ipndm, ipndm_v, deis, uni_pc, uni_pc_bh2) beyond the recorded runs:
steps and cancel, batches, sigmas ending above zero, one-step runs, their weights."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun, Step
from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.samplers import deis, ipndm, uni_pc
from gaze.sampling.samplers.deis import deis_weights
from gaze.sampling.samplers.ipndm import variable_step_weights
from tests.sampling.reference import toy_denoiser

SAMPLERS: dict[str, Sampler] = {**ipndm.SAMPLERS, **deis.SAMPLERS, **uni_pc.SAMPLERS}
NAMES = ("ipndm", "ipndm_v", "deis", "uni_pc", "uni_pc_bh2")
SIGMAS_TO_ZERO = torch.tensor([14.6146, 7.9, 4.1, 2.2, 1.1, 0.52, 0.21, 0.0292, 0.0])
SIGMAS_ABOVE_ZERO = 14.6146 * 0.6 ** torch.arange(8.0)
"""Geometric: ComfyUI's fourth-order ipndm_v weights add up to 1 only on such steps."""


class CountingModel:
    """The recorded toy denoiser (or one that always predicts zero), counting its calls."""

    def __init__(self, predicts_zero: bool = False) -> None:
        self.calls = 0
        self.predicts_zero = predicts_zero

    def __call__(self, x: Tensor, sigma: Tensor) -> Tensor:
        self.calls += 1
        return torch.zeros_like(x) if self.predicts_zero else toy_denoiser(x, sigma)


def start(batch: int = 1, seed: int = 3) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn((batch, 4, 8, 8), generator=generator) * float(SIGMAS_TO_ZERO[0])


def run_sampler(
    name: str,
    x: Tensor,
    sigmas: Tensor,
    model: CountingModel | None = None,
    on_step: object = None,
) -> Tensor:
    sampler = SAMPLERS[name]
    run = SamplingRun(
        model=model or CountingModel(),
        model_sampling=DiscreteModelSampling(),
        seed=0,
        on_step=on_step,  # type: ignore[arg-type]
    )
    return sampler(run, x, sigmas)


@pytest.mark.parametrize("name", NAMES)
def test_every_step_is_reported_once_in_order_with_one_model_call_each(name: str) -> None:
    steps: list[Step] = []
    model = CountingModel()
    run_sampler(name, start(), SIGMAS_TO_ZERO, model, steps.append)
    assert [step.index for step in steps] == list(range(len(SIGMAS_TO_ZERO) - 1))
    assert [float(step.sigma) for step in steps] == SIGMAS_TO_ZERO[:-1].tolist()
    assert model.calls == len(SIGMAS_TO_ZERO) - 1


@pytest.mark.parametrize("name", NAMES)
def test_raising_from_the_step_callback_stops_sampling(name: str) -> None:
    model = CountingModel()

    def cancel_at_third_step(step: Step) -> None:
        if step.index == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sampler(name, start(), SIGMAS_TO_ZERO, model, cancel_at_third_step)
    assert model.calls == 3


@pytest.mark.parametrize("name", NAMES)
def test_batch_items_sample_as_they_would_alone(name: str) -> None:
    batch = torch.cat([start(seed=1), start(seed=2)])
    together = run_sampler(name, batch, SIGMAS_TO_ZERO)
    for item in range(2):
        alone = run_sampler(name, batch[item : item + 1], SIGMAS_TO_ZERO)
        torch.testing.assert_close(together[item : item + 1], alone, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["ipndm", "ipndm_v", "uni_pc", "uni_pc_bh2"])
def test_sigmas_ending_above_zero_leave_that_much_noise(name: str) -> None:
    """A model that always predicts zero makes the ODE ``dx/dsigma = x / sigma``: every sampler
    here integrates it exactly, to ``x * sigma_end / sigma_start``."""
    x = start()
    out = run_sampler(name, x, SIGMAS_ABOVE_ZERO, CountingModel(predicts_zero=True))
    expected = x * (SIGMAS_ABOVE_ZERO[-1] / SIGMAS_ABOVE_ZERO[0])
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)


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
