"""GAZE's sampling core: ComfyUI's model sampling, schedulers, noise and samplers, in torch.

Pure tensor code with no model inside: a sampler only ever sees ``denoised = model(x, sigma)``.
The embedded engine wraps its UNet and classifier-free guidance into such a model
(:mod:`gaze.engines.local`); the tests use a toy model whose outputs ComfyUI recorded.
"""
