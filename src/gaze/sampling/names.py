"""ComfyUI's sampler and scheduler names, without importing torch (the API validates with them)."""

from __future__ import annotations

COMFYUI_SAMPLER_ORDER: tuple[str, ...] = (
    "euler",
    "euler_ancestral",
    "heun",
    "heunpp2",
    "dpm_2",
    "dpm_2_ancestral",
    "lms",
    "dpm_fast",
    "dpm_adaptive",
    "dpmpp_2s_ancestral",
    "dpmpp_sde",
    "dpmpp_sde_gpu",
    "dpmpp_2m",
    "dpmpp_2m_sde",
    "dpmpp_2m_sde_gpu",
    "dpmpp_2m_sde_heun",
    "dpmpp_2m_sde_heun_gpu",
    "dpmpp_3m_sde",
    "dpmpp_3m_sde_gpu",
    "ddpm",
    "lcm",
    "ipndm",
    "ipndm_v",
    "deis",
    "res_multistep",
    "res_multistep_ancestral",
    "gradient_estimation",
    "er_sde",
    "seeds_2",
    "seeds_3",
    "sa_solver",
    "sa_solver_pece",
    "exp_heun_2_x0",
    "exp_heun_2_x0_sde",
    "ddim",
    "uni_pc",
    "uni_pc_bh2",
)
"""ComfyUI's sampler names (v0.8.0, without the ``*_cfg_pp`` ones), in its menu order."""

SCHEDULER_NAMES: tuple[str, ...] = (
    "simple",
    "sgm_uniform",
    "karras",
    "exponential",
    "ddim_uniform",
    "beta",
    "normal",
    "linear_quadratic",
    "kl_optimal",
)
"""ComfyUI's scheduler names (v0.8.0), in its menu order."""
