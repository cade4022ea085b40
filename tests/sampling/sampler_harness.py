"""What the sampler tests share: the recorded toy model counting its calls, a seeded start
latent, one run of a sampler by its ComfyUI name, the sigmas they run over, and the checks
every family of samplers passes alike."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from gaze.sampling.core import SamplingRun, Step, StepCallback
from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.registry import SAMPLERS
from tests.sampling.reference import toy_denoiser

SIGMAS_TO_ZERO = torch.tensor([14.6146, 7.9, 4.1, 2.2, 1.1, 0.52, 0.21, 0.0292, 0.0])
STEPS = len(SIGMAS_TO_ZERO) - 1
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


def start(batch: int = 1, seed: int = 3, size: int = 8) -> Tensor:
    """Seeded unit noise of ``batch`` 4-channel ``size`` x ``size`` latents, at the first sigma."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn((batch, 4, size, size), generator=generator) * float(SIGMAS_TO_ZERO[0])


def run_sampler(
    name: str,
    x: Tensor,
    sigmas: Tensor,
    model: CountingModel | None = None,
    on_step: StepCallback | None = None,
    seed: int = 0,
) -> Tensor:
    run = SamplingRun(
        model=model or CountingModel(),
        model_sampling=DiscreteModelSampling(),
        seed=seed,
        on_step=on_step,
    )
    return SAMPLERS[name](run, x, sigmas)


def assert_batch_items_sample_alone(name: str, atol: float) -> None:
    batch = torch.cat([start(seed=1), start(seed=2)])
    together = run_sampler(name, batch, SIGMAS_TO_ZERO)
    for item in range(2):
        alone = run_sampler(name, batch[item : item + 1], SIGMAS_TO_ZERO)
        torch.testing.assert_close(together[item : item + 1], alone, rtol=0, atol=atol)


def assert_zero_model_scales_the_start(name: str, sigmas: Tensor, rtol: float) -> None:
    """A model that always predicts zero makes the ODE ``dx/dsigma = x / sigma``; a sampler
    that integrates it exactly ends at ``x * sigma_end / sigma_start``."""
    x = start()
    out = run_sampler(name, x, sigmas, CountingModel(predicts_zero=True))
    expected = x * (sigmas[-1] / sigmas[0])
    torch.testing.assert_close(out, expected, rtol=rtol, atol=1e-6)


def calls_until_cancelled_at_third_step(name: str) -> int:
    """Runs ``name`` with a step callback that raises at the third step, checks that this
    stopped the run after three reports, and returns the model calls it had made."""
    model = CountingModel()
    reports = 0

    def cancel_at_third_step(step: Step) -> None:
        nonlocal reports
        reports += 1
        if step.index == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sampler(name, start(), SIGMAS_TO_ZERO, model, cancel_at_third_step)
    assert reports == 3
    return model.calls


def calls_with_each_step_reported_in_order(name: str) -> int:
    """Runs ``name`` over ``SIGMAS_TO_ZERO``, checks that it reported every step once, in
    order and at its sigma, and returns the model calls it made."""
    steps: list[Step] = []
    model = CountingModel()
    run_sampler(name, start(), SIGMAS_TO_ZERO, model, steps.append)
    assert [step.index for step in steps] == list(range(STEPS))
    assert [float(step.sigma) for step in steps] == SIGMAS_TO_ZERO[:-1].tolist()
    return model.calls
