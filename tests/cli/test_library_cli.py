"""`gaze library import` and `gaze library export`, run as the real command on real data."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from devkit.server import GAZE, gaze_env
from gaze.db.connection import Database
from gaze.library.service import LibraryService
from gaze.presets.service import PresetService
from gaze.presets.usage import presets_using


def gaze(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GAZE, "library", *args, "--data-dir", str(data_dir)],
        env=gaze_env(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write(folder: Path, relative: str, document: Any) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    path.write_text(text, encoding="utf-8")


def services(data_dir: Path) -> tuple[Database, LibraryService, PresetService]:
    database = Database(f"sqlite:///{data_dir / 'gaze.db'}")
    media = data_dir / "uploads"
    return (
        database,
        LibraryService(database, media, outside_users=presets_using),
        PresetService(database, media),
    )


def valid_folder(folder: Path) -> None:
    write(folder, "clothing/cloak.json", {"id": "cloak", "name": "Cloak", "tags": {"t": "warm"}})
    write(
        folder,
        "characters/nova.json",
        {
            "id": "nova",
            "name": "Nova",
            "identity": {"base": "1girl"},
            "default_fields": ["identity::base"],
            "wardrobe": {"winter": {"outfit_id": "cloak"}},
            "active_outfit": "winter",
            "is_favourite": True,
        },
    )
    write(
        folder,
        "presets/nova_night.json",
        {
            "id": "nova_night",
            "name": "Nova at Night",
            "characters": {"mode": "fixed", "id": "nova"},
            "scenes": {"mode": "fixed", "id": "night_market"},
            "checkpoint": "gaze-demo-sd15-tiny.safetensors",
        },
    )


def test_importing_a_valid_folder_upserts_every_item(fresh_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "library"
    valid_folder(folder)
    result = gaze(fresh_data, "import", str(folder))
    assert result.returncode == 0, result.stderr
    assert "Imported 2 resources, 0 wordlists, 0 checkpoint settings and 1 presets" in result.stdout
    assert result.stderr == ""

    database, library, presets = services(fresh_data)
    try:
        assert library.get("outfits", "cloak")["tags"] == {"t": "warm"}  # type: ignore[index]
        listed = library.list("characters", q="nova").items
        assert [(item["id"], item["is_favourite"]) for item in listed] == [("nova", True)]
        assert presets.get("nova_night")["name"] == "Nova at Night"  # type: ignore[index]
        resolved = presets.resolve("nova_night", 1)
        assert resolved["choices"]["characters"][0]["outfit"]["outfit_id"] == "cloak"
    finally:
        database.dispose()

    write(folder, "clothing/cloak.json", {"id": "cloak", "name": "Heavy Cloak"})
    again = gaze(fresh_data, "import", str(folder))
    assert again.returncode == 0, again.stderr
    database, library, _ = services(fresh_data)
    try:
        cloak = library.get("outfits", "cloak")
        assert cloak is not None and cloak["name"] == "Heavy Cloak" and cloak["tags"] == {}
        assert [item["name"] for item in library.list("outfits", q="cloak").items] == [
            "Heavy Cloak"
        ], "the row follows the imported document"
    finally:
        database.dispose()


def test_importing_a_broken_folder_reports_every_bad_file(fresh_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    write(folder, "scenes/fine.json", {"id": "fine", "name": "Fine"})
    write(folder, "scenes/not_json.json", "{ this is not json")
    write(
        folder, "scenes/bad_field.json", {"id": "bad_field", "name": "X", "lora": {"file": "/abs"}}
    )
    write(folder, "styles/copy_a.json", {"id": "ink_twin", "name": "A"})
    write(folder, "styles/copy_b.json", {"id": "ink_twin", "name": "B"})
    write(
        folder,
        "presets/dangling.json",
        {"id": "dangling", "name": "D", "characters": {"mode": "fixed", "id": "nobody"}},
    )
    result = gaze(fresh_data, "import", str(folder))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.stderr
    assert f"error: {folder}/scenes/not_json.json: invalid JSON at line 1, column 3" in (
        result.stderr
    )
    assert f"error: {folder}/scenes/bad_field.json: not a valid scene: lora.file: must be a " in (
        result.stderr
    )
    assert f"error: {folder}/styles/copy_b.json: duplicate id 'ink_twin'" in result.stderr
    assert f"warning: {folder}/presets/dangling.json: characters: no characters id 'nobody'" in (
        result.stderr
    )
    assert "Imported 2 resources, 0 wordlists, 0 checkpoint settings and 1 presets" in result.stdout
    assert "3 files were not imported" in result.stdout
    database, library, presets = services(fresh_data)
    try:
        assert library.get("scenes", "fine") is not None
        assert library.get("scenes", "bad_field") is None
        assert library.get("styles", "ink_twin")["name"] == "A"  # type: ignore[index]
        assert presets.get("dangling") is not None, "a warning does not stop the import"
    finally:
        database.dispose()


def test_a_file_whose_id_breaks_the_id_rule_is_not_imported(
    fresh_data: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "clash"
    write(folder, "actions/reading_book!.json", {"id": "reading_book!", "name": "Clash"})
    write(folder, "actions/waving.json", {"id": "waving", "name": "Waving Again"})
    result = gaze(fresh_data, "import", str(folder))
    assert result.returncode == 1
    assert (
        f"error: {folder}/actions/reading_book!.json: not a valid action: id: may only contain "
        "letters, digits and _ (A-Z, a-z, 0-9, _), got 'reading_book!'"
    ) in result.stderr
    assert "Imported 1 resources" in result.stdout
    assert "1 files were not imported" in result.stdout


def test_importing_something_that_is_not_a_folder_fails(fresh_data: Path, tmp_path: Path) -> None:
    result = gaze(fresh_data, "import", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "is not a folder" in result.stderr


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*.json"))
    }


def test_export_and_import_round_trip(
    fresh_data: Path, prepared_data: Path, tmp_path: Path
) -> None:
    addition = tmp_path / "addition"
    valid_folder(addition)
    assert gaze(fresh_data, "import", str(addition)).returncode == 0
    exported = tmp_path / "exported"
    result = gaze(fresh_data, "export", str(exported))
    assert result.returncode == 0, result.stderr
    assert (
        "Exported 17 resources, 3 wordlists, 1 checkpoint settings and 5 presets" in result.stdout
    )
    first = files_of(exported)
    assert "clothing/cloak.json" not in first and "outfits/cloak.json" in first
    assert json.loads(first["presets/example_01.json"])["cover"] == "presets/example_01/cover.png"

    other = tmp_path / "other" / "data"
    shutil.copytree(prepared_data, other, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    assert gaze(other, "import", str(exported)).returncode == 0
    again = tmp_path / "again"
    assert gaze(other, "export", str(again)).returncode == 0
    assert files_of(again) == first

    (exported / "scenes" / "stale.json").write_text("{}", encoding="utf-8")
    assert gaze(fresh_data, "export", str(exported)).returncode == 0
    assert (exported / "scenes" / "stale.json").exists(), "kept without --prune"
    assert gaze(fresh_data, "export", str(exported), "--prune").returncode == 0
    assert files_of(exported) == first
