"""ComfyUI v0.8.0's recorded sampler runs (``data/comfyui_samplers.json.gz``) and their toy model.

The data is a copy of ``shared/reference/comfyui-samplers.json``: 999 runs of ComfyUI's own
samplers and schedulers on a toy denoiser, each with its sigmas and final latent.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from gaze.sampling.model_sampling import DiscreteModelSampling
from gaze.sampling.run import sample

DATA = Path(__file__).parent / "data" / "comfyui_samplers.json.gz"
LATENT_SHAPE = (1, 4, 8, 8)
SIGMA_TOLERANCE = 1e-5
OUTPUT_TOLERANCE = 1e-4
STORED_SIGNIFICANT_DIGITS = 7
"""The file keeps 7 significant digits: a recorded 1253.241 is only good to 5e-4, so the
tolerance of an element is 1e-4 or a millionth of its size, whichever is larger."""
UNI_PC_SAMPLERS = ("uni_pc", "uni_pc_bh2")
UNI_PC_LAST_SIGMA = 0.001
"""ComfyUI's UniPC overwrites a last sigma of 0 with 0.001 in the caller's tensor, so the
recorder saw 0.001 where the scheduler had given 0."""


@cache
def reference() -> dict[str, Any]:
    with gzip.open(DATA, "rt") as file:
        data: dict[str, Any] = json.load(file)
    return data


@dataclass(frozen=True)
class Case:
    sampler: str
    scheduler: str
    seed: int
    steps: int
    denoise: float
    img2img: bool
    sigmas: tuple[float, ...]
    output: tuple[float, ...]

    @property
    def id(self) -> str:
        setting = "img2img" if self.img2img else f"seed{self.seed}"
        return f"{self.sampler}-{self.scheduler}-{setting}"

    def recorded_sigmas(self) -> Tensor:
        return torch.tensor(self.sigmas, dtype=torch.float32)

    def scheduler_sigmas(self) -> Tensor:
        """The sigmas ComfyUI's scheduler gave, before UniPC overwrote the last one."""
        sigmas = self.recorded_sigmas()
        if self.sampler in UNI_PC_SAMPLERS and math.isclose(
            float(sigmas[-1]), UNI_PC_LAST_SIGMA, rel_tol=1e-6
        ):
            sigmas[-1] = 0.0
        return sigmas

    def recorded_output(self) -> Tensor:
        return torch.tensor(self.output, dtype=torch.float32).reshape(LATENT_SHAPE)


def cases() -> list[Case]:
    return [
        Case(
            sampler=raw["sampler"],
            scheduler=raw["scheduler"],
            seed=raw["seed"],
            steps=raw["steps"],
            denoise=raw["denoise"],
            img2img=raw["img2img"],
            sigmas=tuple(raw["sigmas"]),
            output=tuple(raw["output"]),
        )
        for raw in reference()["cases"]
    ]


def toy_denoiser(x: Tensor, sigma: Tensor) -> Tensor:
    """The recorded model: ``u = x / sqrt(sigma**2 + 1)``,
    ``denoised = 0.8 * tanh(u) + 0.1 * roll(u, 1, channels)``."""
    u = x / (sigma.reshape(-1, 1, 1, 1) ** 2 + 1).sqrt()
    return 0.8 * torch.tanh(u) + 0.1 * torch.roll(u, shifts=1, dims=1)


def start_latent(case: Case) -> Tensor:
    """Zeros for text-to-image; ``0.5 * sin(0.7 * (c*64 + h*8 + w) + 0.3)`` for img2img."""
    if not case.img2img:
        return torch.zeros(LATENT_SHAPE)
    _batch, c, h, w = LATENT_SHAPE
    index = torch.arange(c * h * w, dtype=torch.float32).reshape(1, c, h, w)
    return 0.5 * torch.sin(0.7 * index + 0.3)


def sd1_model_sampling() -> DiscreteModelSampling:
    return DiscreteModelSampling(prediction="eps")


def run_case(case: Case, sigmas: Tensor) -> Tensor:
    """Our sampler's final latent for a recorded case, sampled over ``sigmas``."""
    return sample(
        toy_denoiser,
        sd1_model_sampling(),
        start_latent(case),
        sigmas,
        seed=case.seed,
        sampler=case.sampler,
    )


def max_difference(ours: Tensor, recorded: Tensor) -> float:
    difference = (ours.float() - recorded.float()).abs().max().item()
    return math.inf if math.isnan(difference) else difference


def worst_excess(ours: Tensor, recorded: Tensor) -> float:
    """The largest ``|ours - recorded| / tolerance`` over the elements (<= 1 passes), with the
    tolerance ``max(1e-4, 1e-6 * |recorded|)`` (see ``STORED_SIGNIFICANT_DIGITS``)."""
    tolerance = torch.clamp(recorded.float().abs() * 1e-6, min=OUTPUT_TOLERANCE)
    excess = ((ours.float() - recorded.float()).abs() / tolerance).max().item()
    return math.inf if math.isnan(excess) else excess
