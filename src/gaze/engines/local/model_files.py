"""The embedded engine's model folders read without torch: which files it can load, and what
it declares it runs (pure data), so an API-only process lists them as a worker would."""

from __future__ import annotations

from pathlib import Path

from gaze.engines.base import EngineCapabilities, ModelNotFound
from gaze.generation_spec import PROMPT_WEIGHTINGS

LOCAL_ENGINE_NAME = "local"
MODEL_SUFFIX = ".safetensors"
UPSCALE_MODEL_SUFFIXES = (".safetensors", ".pth")

LOCAL_CAPABILITIES = EngineCapabilities(prompt_weightings=PROMPT_WEIGHTINGS)
"""What the embedded engine runs beyond its model files: both ``(word:1.2)`` weightings."""


def list_model_files(folder: Path, suffixes: tuple[str, ...] = (MODEL_SUFFIX,)) -> list[str]:
    """Files with one of ``suffixes`` under ``folder`` (recursively), as sorted relative posix
    paths."""
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.suffix in suffixes and path.is_file()
    )


def resolve_model_file(folder: Path, name: str, what: str) -> Path:
    """The file ``name`` (relative posix path) inside ``folder``; ModelNotFound otherwise."""
    candidate = (folder / name).resolve()
    root = folder.resolve()
    if (
        not name
        or Path(name).is_absolute()
        or not candidate.is_relative_to(root)
        or candidate.suffix != MODEL_SUFFIX
        or not candidate.is_file()
    ):
        raise ModelNotFound(f"{what} not found: {name}")
    return candidate


class LocalModelFolders:
    """``<models>/checkpoints``, ``loras``, ``vae`` and ``upscale_models``, listed."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)

    @property
    def checkpoints_dir(self) -> Path:
        return self.models_dir / "checkpoints"

    @property
    def loras_dir(self) -> Path:
        return self.models_dir / "loras"

    @property
    def vae_dir(self) -> Path:
        return self.models_dir / "vae"

    @property
    def upscale_models_dir(self) -> Path:
        return self.models_dir / "upscale_models"

    def checkpoints(self) -> list[str]:
        return list_model_files(self.checkpoints_dir)

    def loras(self) -> list[str]:
        return list_model_files(self.loras_dir)

    def vaes(self) -> list[str]:
        return list_model_files(self.vae_dir)

    def upscale_models(self) -> list[str]:
        return list_model_files(self.upscale_models_dir, UPSCALE_MODEL_SUFFIXES)
