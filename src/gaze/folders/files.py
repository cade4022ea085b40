"""A library as a folder of JSON files, one document per file, so that it can live in git.

Layout (the original GAZE's): ``characters/``, ``looks/``, ``outfits/`` (or ``clothing/``),
``actions/``, ``styles/``, ``scenes/``, ``detailers/``, ``checkpoints/``, ``presets/`` and
``wordlists/``, each holding ``<id>.json`` files (a wordlist's file is named for its slug:
``colors/warm`` is ``wordlists/colors__warm.json``). Reading keeps every valid document and
reports every bad file with its path and reason; hidden files, non-JSON files and subfolders
are ignored, and symlinks are followed only when they stay inside the folder. Writing produces
canonical files: model field order, 2-space indent, UTF-8, a trailing newline, values equal to
their default left out.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gaze.folders.json_documents import DocumentError, parse_document
from gaze.library.fields import describe_errors
from gaze.library.json_input import MAX_FILE_BYTES
from gaze.library.schema import (
    CATEGORIES,
    Character,
    CheckpointSettings,
    Resource,
    StrictModel,
    resource_model_for,
)
from gaze.library.view import InMemoryLibrary, LibraryView
from gaze.library.wordlist_schema import WORDLISTS, Wordlist
from gaze.presets.references import slot_resource_ids
from gaze.presets.schema import Preset

LibraryItem = Resource | CheckpointSettings | Preset | Wordlist

KINDS: tuple[str, ...] = (*CATEGORIES, "checkpoints", "presets", WORDLISTS)
"""What a library folder holds: the resource categories, checkpoints, presets, wordlists."""

FOLDERS: dict[str, tuple[str, ...]] = {kind: (kind,) for kind in KINDS} | {
    "outfits": ("outfits", "clothing"),
}
"""The folder names read for each kind, in order; the first is the one written."""


_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be imported (an error) or that refers to something missing
    (a warning). `path` is relative to the library folder, posix separators."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class LibraryImport:
    """What `read_library_folder` found: the valid items and a report of every problem."""

    root: Path
    resources: dict[str, list[Resource]] = field(
        default_factory=lambda: {category: [] for category in CATEGORIES}
    )
    checkpoints: list[CheckpointSettings] = field(default_factory=list)
    presets: list[Preset] = field(default_factory=list)
    wordlists: list[Wordlist] = field(default_factory=list)
    errors: list[FileProblem] = field(default_factory=list)
    """Files that were not imported, each with why."""
    warnings: list[FileProblem] = field(default_factory=list)
    """Imported files that refer to a resource, outfit or checkpoint the folder lacks."""
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, id or checkpoint path) -> the file it came from."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def items(self) -> list[LibraryItem]:
        """Every imported item: resources by category, checkpoints, presets, wordlists."""
        items: list[LibraryItem] = []
        for category in CATEGORIES:
            items.extend(self.resources[category])
        items.extend(self.checkpoints)
        items.extend(self.presets)
        items.extend(self.wordlists)
        return items

    def library(self) -> InMemoryLibrary:
        """The imported resources, checkpoints and wordlists as a `LibraryView`."""
        resources = [resource for category in CATEGORIES for resource in self.resources[category]]
        return InMemoryLibrary(resources, self.checkpoints, self.wordlists)


def kind_of(item: LibraryItem) -> str:
    """The folder kind of an item: its category, ``checkpoints``, ``presets`` or
    ``wordlists``."""
    if isinstance(item, Preset):
        return "presets"
    if isinstance(item, CheckpointSettings):
        return "checkpoints"
    return item.category


def key_of(item: LibraryItem) -> str:
    """What identifies an item within its kind: the id, or a checkpoint's path."""
    return item.path if isinstance(item, CheckpointSettings) else item.id


def _model_for(kind: str) -> type[StrictModel]:
    if kind == "presets":
        return Preset
    if kind == "checkpoints":
        return CheckpointSettings
    if kind == WORDLISTS:
        return Wordlist
    return resource_model_for(kind)


# --- reading -----------------------------------------------------------------------------------


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _candidate_files(
    root: Path, real_root: Path, folder: str, report: LibraryImport
) -> list[tuple[Path, str]]:
    """The ``*.json`` files of one folder, sorted, as (path, relative name)."""
    directory = root / folder
    if not directory.is_dir():
        if directory.exists() or directory.is_symlink():
            report.errors.append(FileProblem(folder, "expected a folder"))
        return []
    if directory.is_symlink() and not _inside(directory.resolve(), real_root):
        report.errors.append(
            FileProblem(folder, "symlink to a folder outside the library; not followed")
        )
        return []
    files = []
    for entry in sorted(os.scandir(directory), key=lambda item: item.name):
        if entry.name.startswith(".") or not entry.name.endswith(".json"):
            continue
        relative = f"{folder}/{entry.name}"
        path = Path(entry.path)
        if entry.is_symlink() and not _inside(path.resolve(), real_root):
            report.errors.append(
                FileProblem(relative, "symlink to a file outside the library; not followed")
            )
            continue
        if not entry.is_file():
            if entry.is_dir():
                continue  # a folder named *.json: not a document
            report.errors.append(FileProblem(relative, "not a regular file"))
            continue
        files.append((path, relative))
    return files


def _read_file(path: Path) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError(f"larger than {MAX_FILE_BYTES} bytes")
    return data


def _load_item(kind: str, path: Path) -> LibraryItem:
    try:
        document = parse_document(_read_file(path))
    except OSError as error:
        raise DocumentError(f"cannot be read: {error.strerror or error}") from None
    model = _model_for(kind)
    try:
        item = model.model_validate(document)
    except ValidationError as error:
        noun = {"presets": "preset", "checkpoints": "checkpoint settings"}.get(kind, kind[:-1])
        raise DocumentError(f"not a valid {noun}: " + "; ".join(describe_errors(error))) from None
    assert isinstance(item, Resource | CheckpointSettings | Preset | Wordlist)
    return item


def read_library_folder(path: str | os.PathLike[str]) -> LibraryImport:
    """Read a library folder; see the module docstring. Never raises for a bad file (it is
    reported in ``errors``); raises NotADirectoryError if `path` is not a folder."""
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"not a library folder: {root}")
    real_root = root.resolve(strict=True)
    report = LibraryImport(root=root)
    slugs: dict[tuple[str, str], tuple[str, str]] = {}
    for kind in KINDS:
        for folder in FOLDERS[kind]:
            for file_path, relative in _candidate_files(root, real_root, folder, report):
                try:
                    item = _load_item(kind, file_path)
                except DocumentError as error:
                    report.errors.append(FileProblem(relative, str(error)))
                    continue
                key = key_of(item)
                first = report.sources.get((kind, key))
                if first is not None:
                    report.errors.append(
                        FileProblem(relative, f"duplicate id {key!r}: already defined in {first}")
                    )
                    continue
                if not isinstance(item, CheckpointSettings):
                    taken = slugs.get((kind, item.slug))
                    if taken is not None:
                        other_id, other_file = taken
                        report.errors.append(
                            FileProblem(
                                relative,
                                f"slug {item.slug!r} of id {key!r} is already the slug of "
                                f"id {other_id!r} ({other_file})",
                            )
                        )
                        continue
                    slugs[(kind, item.slug)] = (key, relative)
                report.sources[(kind, key)] = relative
                if isinstance(item, Preset):
                    report.presets.append(item)
                elif isinstance(item, Wordlist):
                    report.wordlists.append(item)
                elif isinstance(item, CheckpointSettings):
                    report.checkpoints.append(item)
                else:
                    report.resources[kind].append(item)
    for category in CATEGORIES:
        report.resources[category].sort(key=lambda resource: resource.id)
    report.checkpoints.sort(key=lambda settings: settings.path)
    report.presets.sort(key=lambda preset: preset.id)
    report.wordlists.sort(key=lambda wordlist: wordlist.id)
    report.warnings.extend(reference_problems(report))
    return report


def reference_problems(
    report: LibraryImport, library: LibraryView | None = None
) -> list[FileProblem]:
    """Warnings for references the imported items make to items the import lacks: wardrobe
    outfits, preset resources (fixed or listed), preset fields and checkpoints.

    `library` is where the references are looked up (default: the import itself; pass the
    library the items were imported into to check them there)."""
    if library is None:
        library = report.library()
    problems: list[FileProblem] = []

    def warn(kind: str, key: str, reason: str) -> None:
        problems.append(FileProblem(report.sources.get((kind, key), kind), reason))

    for character in report.resources["characters"]:
        assert isinstance(character, Character)
        for name, outfit in character.wardrobe.items():
            if outfit.outfit_id is not None and library.get("outfits", outfit.outfit_id) is None:
                warn(
                    "characters",
                    character.id,
                    f"wardrobe.{name}.outfit_id: no outfit {outfit.outfit_id!r} in the library",
                )
    for preset in report.presets:
        for category in CATEGORIES:
            slot = preset.slot(category)
            for resource_id in slot_resource_ids(slot):
                resource = library.get(category, resource_id)
                if resource is None:
                    warn("presets", preset.id, f"{category}: no {category} id {resource_id!r}")
                elif slot.mode == "fixed" and slot.fields is not None:
                    for address in slot.fields:
                        if resource.field_value(address) is None:
                            warn(
                                "presets",
                                preset.id,
                                f"{category}.fields: {resource_id!r} has no field {address!r}",
                            )
            if slot.mode == "random" and slot.pool is not None and slot.pool.kind != "list":
                if not library.ids(category, slot.pool.tag_filter()):
                    warn("presets", preset.id, f"{category}: the random pool matches nothing")
            elif slot.mode == "random" and slot.pool is None and not library.ids(category):
                warn("presets", preset.id, f"{category}: random from all, but there are none")
        for path in [preset.checkpoint, *preset.checkpoint_pool]:
            if path is not None and library.checkpoint(path) is None:
                warn("presets", preset.id, f"checkpoint {path!r} has no settings file")
    return problems


# --- writing ------------------------------------------------------------------------------------


_ALWAYS_WRITTEN: dict[type[StrictModel], tuple[str, ...]] = {
    CheckpointSettings: ("base_model", "width", "height", "steps", "cfg", "sampler", "scheduler"),
}
"""Keys written even when equal to their default. A checkpoint's size default depends on its
base model (512x512 for an sdxl model must be spelled out), and its generation settings are
what a reader of the file looks for."""


def document_of(item: LibraryItem) -> dict[str, Any]:
    """The JSON document written for an item (field order, defaults left out)."""
    full = item.model_dump(mode="json")
    written = item.model_dump(mode="json", exclude_defaults=True)
    keep = _ALWAYS_WRITTEN.get(type(item), ())
    return {
        key: written.get(key, value) for key, value in full.items() if key in written or key in keep
    }


def dumps_document(item: LibraryItem) -> str:
    """The exact text of an item's file."""
    return json.dumps(document_of(item), indent=2, ensure_ascii=False) + "\n"


def file_stem(key: str) -> str:
    """The file name (without ``.json``) for an id: characters outside ``[A-Za-z0-9_.-]``
    become ``_`` and a leading dot becomes ``_``."""
    stem = _UNSAFE_FILE_CHARACTERS.sub("_", key)
    return "_" + stem[1:] if stem.startswith(".") else stem


def _file_names(keys: list[str]) -> dict[str, str]:
    """A distinct file name per key; keys whose names collide (ignoring case, for case-blind
    file systems) get a short hash of the key appended."""
    by_name: dict[str, list[str]] = {}
    for key in keys:
        by_name.setdefault(file_stem(key).casefold(), []).append(key)
    names = {}
    for group in by_name.values():
        for key in group:
            stem = file_stem(key)
            if len(group) > 1:
                stem += "~" + blake2b(key.encode(), digest_size=4).hexdigest()
            names[key] = stem + ".json"
    return names


def _name_key(item: LibraryItem) -> str:
    """What an item's file is named for: a wordlist's slug (its id has ``/``), else its key."""
    return item.slug if isinstance(item, Wordlist) else key_of(item)


def _write_if_changed(path: Path, text: str) -> bool:
    data = text.encode("utf-8")
    if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
        return False
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _prune(directory: Path, real_root: Path, keep: set[str]) -> None:
    if not directory.is_dir() or not _inside(directory.resolve(), real_root):
        return
    for entry in directory.iterdir():
        if entry.name.startswith(".") or entry.suffix != ".json" or entry.name in keep:
            continue
        if entry.is_symlink() or entry.is_file():
            entry.unlink()


def write_library_folder(
    path: str | os.PathLike[str], items: Iterable[LibraryItem], *, prune: bool = False
) -> list[Path]:
    """Write items as a library folder (created if needed); returns the files written or
    already up to date. Outfits go to ``clothing/`` when the folder already uses it.

    With ``prune=True``, other ``*.json`` files in the kinds' folders are deleted, so the
    folder holds exactly `items` (for a folder kept in git). Raises ValueError for two items
    of one kind with the same id, or a kind folder that is a symlink leaving the library.
    """
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    real_root = root.resolve(strict=True)
    grouped: dict[str, dict[str, LibraryItem]] = {kind: {} for kind in KINDS}
    for item in items:
        kind, key = kind_of(item), key_of(item)
        if key in grouped[kind]:
            raise ValueError(f"two {kind} with the id {key!r}")
        grouped[kind][key] = item
    written: list[Path] = []
    for kind in KINDS:
        folder = FOLDERS[kind][0]
        if kind == "outfits" and (root / "clothing").is_dir() and not (root / "outfits").exists():
            folder = "clothing"
        directory = root / folder
        if not grouped[kind] and not (prune and directory.is_dir()):
            continue
        directory.mkdir(exist_ok=True)
        if not _inside(directory.resolve(), real_root):
            raise ValueError(f"{directory} leads outside the library folder")
        names = _file_names([_name_key(item) for item in grouped[kind].values()])
        for item in grouped[kind].values():
            target = directory / names[_name_key(item)]
            if target.is_symlink():
                target.unlink()
            _write_if_changed(target, dumps_document(item))
            written.append(target)
        if prune:
            keep = set(names.values())
            for other in FOLDERS[kind]:
                if other != folder:
                    _prune(root / other, real_root, set())
            _prune(directory, real_root, keep)
    return written
