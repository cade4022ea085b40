"""Fixtures for the local (diffusers) engine: tiny real checkpoints and an engine on them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gaze.engines.local.engine import LocalEngine
from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint, write_tiny_vae
from tests.engines.local.local_engine_constants import (
    SD1_NAME,
    SD1_SEED,
    SDXL_NAME,
    SDXL_SEED,
    TEST_THREADS,
    TINY_VAE_NAME,
    VAE_SEED,
)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with tiny SD1 and SDXL checkpoints and a tiny standalone VAE."""
    root = tmp_path_factory.mktemp("models")
    write_tiny_checkpoint(root / "checkpoints" / SD1_NAME, "sd1", seed=SD1_SEED)
    write_tiny_checkpoint(root / "checkpoints" / SDXL_NAME, "sdxl", seed=SDXL_SEED)
    write_tiny_vae(root / "vae" / TINY_VAE_NAME, "sd1", seed=VAE_SEED)
    (root / "loras").mkdir()
    return root


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The media folder (source images, masks) of one module's engine."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-cache")


@pytest.fixture(scope="session")
def engine(models_dir: Path, cache_dir: Path) -> Iterator[LocalEngine]:
    """One engine for the session (loading is what the reuse tests measure)."""
    yield LocalEngine(models_dir, cache_dir, device="cpu", threads=TEST_THREADS)
