"""The checkpoint catalogue: the checkpoint files the backends have, merged with the settings
stored for them, and the LoRA files the backends have.

A checkpoint without stored settings gets the defaults of its base model, read from the file's
safetensors header when the file is local (the embedded engine's models folder), else sd1.
Settings may be stored for a checkpoint no backend has (yet); it is listed as unavailable.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import CheckpointRow
from gaze.engines.base import Engine
from gaze.engines.model_lists import ModelLists, checkpoints_on, model_lists
from gaze.library.checkpoint_files import BaseModel, detect_base_model
from gaze.library.fields import DEFAULT_SIZE, describe_errors, relative_path_problem
from gaze.library.merge_patch import apply_merge_patch
from gaze.library.schema import CheckpointSettings
from gaze.library.store import upsert_checkpoint
from gaze.service_errors import Invalid, NotFound


@dataclass(frozen=True)
class BackendModels:
    """The model lists of one backend, by its name (``local`` or a ComfyUI URL)."""

    backend: str
    lists: ModelLists


def backend_model_lists(engines: Iterable[Engine]) -> list[BackendModels]:
    """The model lists of every backend that answers."""
    return [
        BackendModels(engine.name, lists)
        for engine in engines
        if (lists := model_lists(engine)) is not None
    ]


def available_checkpoints(backends: Iterable[BackendModels]) -> frozenset[str]:
    """Every checkpoint at least one of these backends has."""
    return checkpoints_on(backend.lists for backend in backends)


@lru_cache(maxsize=1024)
def _base_model_of(path: str, _mtime_ns: int, _size: int) -> BaseModel:
    return detect_base_model(Path(path))


def checked_path(path: str) -> str:
    """The path when it is a safe relative path; Invalid (code ``invalid_path``) otherwise."""
    problem = relative_path_problem(path)
    if problem:
        raise Invalid([f"path: {problem}, got {path!r}"], code="invalid_path")
    return path


class CheckpointCatalogue:
    """Checkpoints and LoRAs; see the module docstring. `checkpoints_dir` is the local models'
    checkpoints folder (None when there is no embedded engine)."""

    def __init__(self, database: Database, checkpoints_dir: Path | None) -> None:
        self.database = database
        self.checkpoints_dir = checkpoints_dir

    # --- reading -------------------------------------------------------------------------------

    def stored(self, path: str | None = None) -> dict[str, CheckpointSettings]:
        statement = select(CheckpointRow.path, CheckpointRow.document)
        if path is not None:
            statement = statement.where(CheckpointRow.path == path)
        settings = {}
        with self.database.session() as session:
            for row in session.execute(statement):
                try:
                    settings[row.path] = CheckpointSettings.model_validate(row.document)
                except ValidationError:
                    continue  # written by an older version: defaults apply
        return settings

    def local_base_model(self, path: str) -> BaseModel | None:
        if self.checkpoints_dir is None:
            return None
        file = self.checkpoints_dir / path
        try:
            status = file.stat()
        except OSError:
            return None
        if not file.is_file():
            return None
        return _base_model_of(str(file), status.st_mtime_ns, status.st_size)

    def entry(
        self, path: str, settings: CheckpointSettings | None, backends: Sequence[BackendModels]
    ) -> dict[str, Any]:
        having = [backend.backend for backend in backends if path in backend.lists.checkpoints]
        if settings is not None:
            source = "settings"
        else:
            detected = self.local_base_model(path)
            source = "default" if detected is None else "file"
            settings = CheckpointSettings(path=path, base_model=detected or "sd1")
        return {
            "path": path,
            "name": settings.name or Path(path).name.removesuffix(".safetensors"),
            "available": bool(having),
            "backends": having,
            "has_settings": source == "settings",
            "base_model": settings.base_model,
            "base_model_source": source,
            "settings": settings.model_dump(mode="json"),
        }

    def list(self, backends: Sequence[BackendModels]) -> list[dict[str, Any]]:
        """Every checkpoint a backend has or settings exist for, sorted by path."""
        stored = self.stored()
        paths = set(stored).union(*(backend.lists.checkpoints for backend in backends))
        return [self.entry(path, stored.get(path), backends) for path in sorted(paths)]

    def get(self, path: str, backends: Sequence[BackendModels]) -> dict[str, Any]:
        """One checkpoint; NotFound when no backend has it and no settings are stored."""
        checked_path(path)
        settings = self.stored(path).get(path)
        if settings is None and not any(path in b.lists.checkpoints for b in backends):
            raise NotFound(
                f"No checkpoint {path!r}: no backend has it and no settings are stored.",
                code="checkpoint_not_found",
            )
        return self.entry(path, settings, backends)

    def loras(self, backends: Sequence[BackendModels]) -> builtins.list[dict[str, Any]]:
        """Every LoRA file a backend has, sorted, with the backends that have it."""
        paths = set().union(*(backend.lists.loras for backend in backends))
        return [
            {
                "path": path,
                "name": Path(path).name.removesuffix(".safetensors"),
                "backends": [b.backend for b in backends if path in b.lists.loras],
            }
            for path in sorted(paths)
        ]

    # --- writing -------------------------------------------------------------------------------

    def replace(
        self, path: str, document: Any, backends: Sequence[BackendModels]
    ) -> dict[str, Any]:
        """Store a checkpoint's settings (``path`` may be left out of the document)."""
        checked_path(path)
        if isinstance(document, dict) and "path" not in document:
            document = {**document, "path": path}
        settings = self._validated(document)
        if settings.path != path:
            raise Invalid(
                [f"path: must be {path!r}, the checkpoint's path in the URL"],
                code="path_mismatch",
            )
        with self.database.session() as session:
            upsert_checkpoint(session, settings)
        return self.entry(path, settings, backends)

    def patch(self, path: str, changes: Any, backends: Sequence[BackendModels]) -> dict[str, Any]:
        """Change a checkpoint's settings with a JSON merge patch over its current settings
        (stored, or its base model's defaults). Changing the base model alone also moves a
        default size to the new base model's default."""
        if not isinstance(changes, dict):
            raise Invalid(
                ["(document): a merge patch must be a JSON object"],
                intro="Invalid checkpoint settings patch: ",
            )
        current = self.get(path, backends)["settings"]
        merged = apply_merge_patch(current, changes)
        old_base = current["base_model"]
        if (
            isinstance(merged, dict)
            and merged.get("base_model", "sd1") != old_base
            and "width" not in changes
            and "height" not in changes
            and (current["width"], current["height"]) == DEFAULT_SIZE.get(old_base)
        ):
            merged.pop("width", None)
            merged.pop("height", None)
        return self.replace(path, merged, backends)

    @staticmethod
    def _validated(document: Any) -> CheckpointSettings:
        intro = "Invalid checkpoint settings: "
        if not isinstance(document, dict):
            kind = type(document).__name__
            raise Invalid([f"(document): must be a JSON object, got {kind}"], intro=intro)
        try:
            return CheckpointSettings.model_validate(document)
        except ValidationError as error:
            raise Invalid(describe_errors(error), intro=intro) from None
