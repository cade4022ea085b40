"""Names and seeds of the tiny models the engine tests write (shared by conftest and tests),
and the warnings reading LoRA files makes."""

import pytest

SD1_NAME = "tiny/sd1.safetensors"
SDXL_NAME = "tiny-sdxl.safetensors"
TINY_VAE_NAME = "tiny-vae.safetensors"
SD1_SEED = 11
SDXL_SEED = 12
VAE_SEED = 13
TEST_THREADS = 1  # fixed, so that outputs are reproducible; 1 also behaves on a busy machine

LORA_LOADING_WARNINGS = pytest.mark.filterwarnings(
    "ignore:__array:DeprecationWarning",
    "ignore:Already found a `peft_config`:UserWarning",
    "ignore:While injecting the PEFT adapters:RuntimeWarning",
    "ignore:The following alpha_pattern keys:RuntimeWarning",
)
"""peft's warnings while diffusers reads a LoRA file (the tests' tiny LoRAs trigger them)."""
