"""ER-SDE-Solver-3 (Cui et al. 2023, arXiv:2309.06169): the extended reverse-time SDE in its
VP form, as ComfyUI runs ``er_sde``.

Time is ``er_lambda = sigma / alpha`` (``exp(-half_log_snr)``). Each step is a first-order
stage plus, once there are earlier steps to difference against, a second and a third stage on
the first and second divided differences of ``denoised``; their integrals are 200-point sums.
The noise scaler is ComfyUI's default ``x * (exp(x ** 0.3) + 10)``, and each step adds
ancestral noise (its own generator, seed + 1 on the CPU). A step onto sigma 0 returns
``denoised``. ComfyUI would use another half log-SNR (and move a first sigma of 1) for flow
(CONST) models; this is the discrete EPS / v-prediction one.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gaze.sampling.core import Sampler, SamplingRun
from gaze.sampling.noise import ancestral_noise

MAX_STAGE = 3
INTEGRATION_POINTS = 200.0


def noise_scaler(er_lambda: Tensor) -> Tensor:
    """ComfyUI's default ER-SDE noise scaler."""
    return er_lambda * ((er_lambda**0.3).exp() + 10.0)


def er_sde(run: SamplingRun, x: Tensor, sigmas: Tensor) -> Tensor:
    noise = ancestral_noise(x, run.seed)
    points = torch.arange(0, INTEGRATION_POINTS, dtype=torch.float32, device=x.device)
    er_lambdas = run.model_sampling.half_log_snr(sigmas).neg().exp()
    previous_denoised: Tensor | None = None
    previous_slope: Tensor | None = None
    for i in range(len(sigmas) - 1):
        denoised = run.denoise(x, sigmas[i])
        run.report(i, x, sigmas[i], denoised)
        stages = min(MAX_STAGE, i + 1)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            er_lambda_s, er_lambda_t = er_lambdas[i], er_lambdas[i + 1]
            alpha_s = sigmas[i] / er_lambda_s
            alpha_t = sigmas[i + 1] / er_lambda_t
            r = noise_scaler(er_lambda_t) / noise_scaler(er_lambda_s)
            x = alpha_t / alpha_s * r * x + alpha_t * (1 - r) * denoised

            if stages >= 2 and previous_denoised is not None:
                dt = er_lambda_t - er_lambda_s
                point_step = -dt / INTEGRATION_POINTS
                positions = er_lambda_t + points * point_step
                scaled_positions = noise_scaler(positions)
                integral = torch.sum(1 / scaled_positions) * point_step
                slope = (denoised - previous_denoised) / (er_lambda_s - er_lambdas[i - 1])
                x = x + alpha_t * (dt + integral * noise_scaler(er_lambda_t)) * slope

                if stages >= 3 and previous_slope is not None:
                    integral_u = (
                        torch.sum((positions - er_lambda_s) / scaled_positions) * point_step
                    )
                    curvature = (slope - previous_slope) / ((er_lambda_s - er_lambdas[i - 2]) / 2)
                    weight_u = (dt**2) / 2 + integral_u * noise_scaler(er_lambda_t)
                    x = x + alpha_t * weight_u * curvature
                previous_slope = slope

            spread = (er_lambda_t**2 - er_lambda_s**2 * r**2).sqrt().nan_to_num(nan=0.0)
            x = x + alpha_t * noise(sigmas[i], sigmas[i + 1]) * spread
        previous_denoised = denoised
    return x


SAMPLERS: dict[str, Sampler] = {"er_sde": er_sde}
