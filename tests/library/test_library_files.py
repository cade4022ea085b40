import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from gaze.examples import DEMO_CHECKPOINT, example_library_path
from gaze.folders.files import (
    FileProblem,
    dumps_document,
    file_stem,
    read_library_folder,
    write_library_folder,
)
from gaze.library.schema import CATEGORIES, Character, CheckpointSettings
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.presets.schema import Preset
from tests.presets.builders import checkpoint, preset, resource
from tests.presets.strategies import libraries


def write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def reasons(report_problems: list[FileProblem]) -> dict[str, str]:
    return {problem.path: problem.reason for problem in report_problems}


# --- the example library ------------------------------------------------------------------------


def test_the_example_library_imports_without_errors_or_warnings() -> None:
    report = read_library_folder(example_library_path())
    assert report.errors == []
    assert report.warnings == []
    counts = {category: len(report.resources[category]) for category in CATEGORIES}
    assert counts == {
        "characters": 3,
        "looks": 1,
        "outfits": 3,
        "actions": 2,
        "styles": 2,
        "scenes": 3,
        "detailers": 1,
    }
    assert [settings.path for settings in report.checkpoints] == [DEMO_CHECKPOINT]
    demo = report.checkpoints[0]
    assert (demo.base_model, demo.width, demo.height, demo.steps) == ("sd1", 512, 512, 20)
    assert 3 <= len(report.presets) <= 4
    assert all(
        item.cover is None for item in report.items() if not isinstance(item, CheckpointSettings)
    )


def test_the_example_preset_of_the_api_guide() -> None:
    report = read_library_folder(example_library_path())
    example = next(p for p in report.presets if p.id == "example_01")
    assert (example.slug, example.name) == ("example_01", "Example Preset")
    assert example.characters.mode == "fixed"
    assert example.outfits.mode == "random" and example.scenes.mode == "random"
    assert example.checkpoint == DEMO_CHECKPOINT
    library = report.library()
    sizes = set()
    for seed in range(50):
        spec = resolve_preset(example, library, Overrides(), seed).spec
        sizes.add((spec.width, spec.height))
    assert sizes == {(512, 512)}


def test_the_examples_use_every_slot_mode_and_pool_kind() -> None:
    report = read_library_folder(example_library_path())
    modes, kinds = set(), set()
    for example in report.presets:
        for category in CATEGORIES:
            slot = example.slot(category)
            modes.add(slot.mode)
            if slot.mode == "random":
                kinds.add(slot.pool.kind if slot.pool else "all")
    assert modes == {"none", "fixed", "random"}
    assert kinds == {"all", "list", "tag"}
    wardrobes = [
        len(c.wardrobe) for c in report.resources["characters"] if isinstance(c, Character)
    ]
    assert 2 in wardrobes


def test_every_example_preset_resolves_for_many_seeds() -> None:
    report = read_library_folder(example_library_path())
    library = report.library()
    for example in report.presets:
        prompts = {
            resolve_preset(example, library, Overrides(), seed).spec.positive for seed in range(100)
        }
        has_random = any(example.slot(category).mode == "random" for category in CATEGORIES)
        assert (len(prompts) > 1) == has_random, example.id


def test_the_example_files_are_canonical() -> None:
    root = example_library_path()
    report = read_library_folder(root)
    for item in report.items():
        kind = (
            "checkpoints"
            if isinstance(item, CheckpointSettings)
            else "presets"
            if isinstance(item, Preset)
            else item.category
        )
        key = item.path if isinstance(item, CheckpointSettings) else item.id
        source = root / report.sources[(kind, key)]
        assert source.read_text(encoding="utf-8") == dumps_document(item), source


# --- reading a broken folder -------------------------------------------------------------------


def test_a_broken_folder_reports_every_bad_file_and_keeps_the_good_ones(tmp_path: Path) -> None:
    root = tmp_path / "library"
    good_scene = {
        "id": "beach",
        "name": "Beach",
        "fields": {"s": {"p": "beach"}},
        "default_fields": ["s::p"],
    }
    write_json(root / "scenes" / "beach.json", good_scene)
    write_json(root / "scenes" / "beach_copy.json", {**good_scene, "name": "Another beach"})
    write_json(root / "scenes" / "z_clash.json", {"id": "be-ach", "name": "Bad id"})
    (root / "scenes" / "truncated.json").write_text(
        '{\n  "id": "x",\n  "name": \n', encoding="utf-8"
    )
    (root / "scenes" / "list.json").write_text("[1, 2]\n", encoding="utf-8")
    (root / "scenes" / "latin1.json").write_bytes(b'{"id": "caf\xe9", "name": "x"}')
    (root / "scenes" / "twice.json").write_text(
        '{"id": "t", "name": "a", "name": "b"}', encoding="utf-8"
    )
    (root / "scenes" / "nan.json").write_text(
        '{"id": "n", "name": "n", "is_nsfw": NaN}', encoding="utf-8"
    )
    write_json(
        root / "characters" / "bad.json",
        {
            "id": "bad",
            "name": "Bad",
            "default_fields": ["identity::hair"],
            "lora": {"file": "/abs.safetensors"},
        },
    )
    write_json(root / "characters" / "good.json", {"id": "good", "name": "Good"})
    write_json(root / "clothing" / "gown.json", {"id": "gown", "name": "Gown"})
    write_json(root / "outfits" / "gown.json", {"id": "gown", "name": "Gown too"})
    write_json(root / "checkpoints" / "m.json", {"path": "m.safetensors", "steps": "many"})
    write_json(root / "presets" / "p.json", {"id": "p", "name": "P", "width": 512})
    write_json(
        root / "presets" / "ok.json", {"id": "ok", "name": "OK", "checkpoint": "x.safetensors"}
    )
    (root / "scenes" / "notes.txt").write_text("not a document", encoding="utf-8")
    (root / "scenes" / ".hidden.json").write_text("{", encoding="utf-8")
    (root / "unknown").mkdir()
    write_json(root / "unknown" / "x.json", {"id": "x"})

    report = read_library_folder(root)

    errors = reasons(report.errors)
    assert set(errors) == {
        "scenes/beach_copy.json",
        "scenes/z_clash.json",
        "scenes/truncated.json",
        "scenes/list.json",
        "scenes/latin1.json",
        "scenes/twice.json",
        "scenes/nan.json",
        "characters/bad.json",
        "clothing/gown.json",
        "checkpoints/m.json",
        "presets/p.json",
    }
    assert (
        errors["scenes/beach_copy.json"]
        == "duplicate id 'beach': already defined in scenes/beach.json"
    )
    assert errors["scenes/z_clash.json"] == (
        "not a valid scene: id: may only contain letters, digits and _ (A-Z, a-z, 0-9, _), "
        "got 'be-ach'"
    )
    assert errors["scenes/truncated.json"].startswith(
        "invalid JSON at line 4, column 1: Expecting value"
    )
    assert errors["scenes/list.json"] == "expected a JSON object, found list"
    assert errors["scenes/latin1.json"] == "not UTF-8 text (byte 11)"
    assert errors["scenes/twice.json"] == "invalid JSON: the key 'name' appears twice in one object"
    assert errors["scenes/nan.json"] == "invalid JSON: NaN is not a JSON number"
    assert errors["characters/bad.json"] == (
        "not a valid character: lora.file: must be a relative path"
    )
    assert (
        errors["clothing/gown.json"] == "duplicate id 'gown': already defined in outfits/gown.json"
    )
    assert errors["checkpoints/m.json"] == (
        "not a valid checkpoint settings: steps: Input should be a valid integer"
    )
    assert (
        errors["presets/p.json"]
        == "not a valid preset: height: give both width and height, or neither"
    )

    assert [r.id for r in report.resources["scenes"]] == ["beach"]
    assert report.resources["scenes"][0].name == "Beach"
    assert [r.id for r in report.resources["characters"]] == ["good"]
    assert [o.name for o in report.resources["outfits"]] == ["Gown too"]
    assert [p.id for p in report.presets] == ["ok"]
    assert report.checkpoints == []
    assert not report.ok
    assert reasons(report.warnings) == {
        "presets/ok.json": "checkpoint 'x.safetensors' has no settings file"
    }


def test_schema_errors_list_every_field(tmp_path: Path) -> None:
    write_json(
        tmp_path / "characters" / "c.json",
        {"id": "c", "name": "", "tags": {"a": 1}, "wardrobe": {"w": {}}, "extra": True},
    )
    (problem,) = read_library_folder(tmp_path).errors
    assert problem.path == "characters/c.json"
    assert problem.reason == (
        "not a valid character: name: must not be empty; tags.a: must be a string or a list of "
        "strings; wardrobe.w: give either 'fields' (an inline outfit) or 'outfit_id', not both; "
        "extra: Extra inputs are not permitted"
    )
    assert str(problem).startswith("characters/c.json: not a valid character: name:")


def test_clothing_is_read_as_outfits(tmp_path: Path) -> None:
    write_json(tmp_path / "clothing" / "coat.json", {"id": "coat", "name": "Coat"})
    report = read_library_folder(tmp_path)
    assert report.ok and [o.id for o in report.resources["outfits"]] == ["coat"]
    assert report.sources[("outfits", "coat")] == "clothing/coat.json"


def test_symlinks_are_followed_only_inside_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_json(outside / "secret.json", {"id": "secret", "name": "Secret"})
    write_json(outside / "styles" / "s.json", {"id": "s", "name": "S"})
    root = tmp_path / "library"
    write_json(root / "shared" / "wave.json", {"id": "wave", "name": "Wave"})
    (root / "actions").mkdir()
    os.symlink(outside / "secret.json", root / "actions" / "secret.json")
    os.symlink(root / "shared" / "wave.json", root / "actions" / "wave.json")
    os.symlink(outside / "styles", root / "styles")
    os.symlink(root / "shared", root / "scenes")
    os.symlink(tmp_path / "nowhere.json", root / "actions" / "dangling.json")

    report = read_library_folder(root)

    assert reasons(report.errors) == {
        "actions/secret.json": "symlink to a file outside the library; not followed",
        "styles": "symlink to a folder outside the library; not followed",
        "actions/dangling.json": "symlink to a file outside the library; not followed",
    }
    assert [a.id for a in report.resources["actions"]] == ["wave"]
    assert [s.id for s in report.resources["scenes"]] == ["wave"]
    assert report.resources["styles"] == []


def test_reference_warnings(tmp_path: Path) -> None:
    items = [
        resource("characters", "c", wardrobe={"w": {"outfit_id": "ghost"}}, active_outfit="w"),
        resource("scenes", "s"),
        checkpoint(),
        preset(
            characters={"mode": "fixed", "id": "nobody"},
            scenes={"mode": "fixed", "id": "s", "fields": ["main::tags", "x::y"]},
            styles={"mode": "random"},
            actions={"mode": "random", "pool": {"kind": "tag", "key": "k", "value": "v"}},
            looks={"mode": "random", "pool": {"kind": "list", "ids": ["l1"]}},
        ),
    ]
    write_library_folder(tmp_path, items)
    report = read_library_folder(tmp_path)
    assert report.errors == []
    assert [str(warning) for warning in report.warnings] == [
        "characters/c.json: wardrobe.w.outfit_id: no outfit 'ghost' in the library",
        "presets/test.json: characters: no characters id 'nobody'",
        "presets/test.json: looks: no looks id 'l1'",
        "presets/test.json: actions: the random pool matches nothing",
        "presets/test.json: styles: random from all, but there are none",
        "presets/test.json: scenes.fields: 's' has no field 'x::y'",
    ]


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        read_library_folder(tmp_path / "missing")


# --- writing and round trips ---------------------------------------------------------------------


def test_example_library_round_trip(tmp_path: Path) -> None:
    original = read_library_folder(example_library_path())
    written = write_library_folder(tmp_path, original.items())
    assert len(written) == len(original.items())
    again = read_library_folder(tmp_path)
    assert again.errors == [] and again.warnings == []
    assert again.items() == original.items()
    for path in written:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (example_library_path() / relative).read_bytes()


def test_written_files_are_canonical(tmp_path: Path) -> None:
    scene = resource("scenes", "Sunny_Beach_v2", tags={"type": "outdoor"})
    settings = checkpoint("Illustrious/model.safetensors", base_model="sdxl", width=512, height=512)
    write_library_folder(tmp_path, [scene, settings])
    scene_file = tmp_path / "scenes" / "Sunny_Beach_v2.json"
    text = scene_file.read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n  "id": "Sunny_Beach_v2",\n  "slug": "Sunny_Beach_v2",\n  "name": ')
    assert '"is_favourite"' not in text  # defaults are left out
    checkpoint_file = tmp_path / "checkpoints" / "Illustrious_model.safetensors.json"
    document = json.loads(checkpoint_file.read_text(encoding="utf-8"))
    assert (document["base_model"], document["width"], document["height"]) == ("sdxl", 512, 512)
    report = read_library_folder(tmp_path)
    assert report.items() == [scene, settings]


def test_file_names_are_sanitised_and_never_collide(tmp_path: Path) -> None:
    assert file_stem("a/b c.d-e_f") == "a_b_c.d-e_f"
    assert file_stem(".hidden/x.safetensors") == "_hidden_x.safetensors"
    items = [resource("looks", "a_B"), resource("looks", "a_b"), resource("looks", "A_B")]
    paths = write_library_folder(tmp_path, items)
    assert len({path.name.casefold() for path in paths}) == 3
    assert read_library_folder(tmp_path).items() == sorted(items, key=lambda item: item.id)


def test_writing_keeps_clothing_and_prunes_on_request(tmp_path: Path) -> None:
    write_json(tmp_path / "clothing" / "old.json", {"id": "old", "name": "Old"})
    write_json(tmp_path / "scenes" / "stale.json", {"id": "stale", "name": "Stale"})
    (tmp_path / "scenes" / "cover.png").write_bytes(b"png")
    write_library_folder(tmp_path, [resource("outfits", "coat"), resource("scenes", "beach")])
    assert (tmp_path / "clothing" / "coat.json").is_file()
    assert not (tmp_path / "outfits").exists()
    assert (tmp_path / "scenes" / "stale.json").is_file()
    write_library_folder(
        tmp_path, [resource("outfits", "coat"), resource("scenes", "beach")], prune=True
    )
    assert sorted(p.name for p in (tmp_path / "clothing").iterdir()) == ["coat.json"]
    assert sorted(p.name for p in (tmp_path / "scenes").iterdir()) == ["beach.json", "cover.png"]


def test_writing_rejects_duplicates_and_escaping_folders(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="two scenes with the id 'a'"):
        write_library_folder(tmp_path, [resource("scenes", "a"), resource("scenes", "a", "other")])
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "library"
    root.mkdir()
    os.symlink(outside, root / "scenes")
    with pytest.raises(ValueError, match="leads outside the library folder"):
        write_library_folder(root, [resource("scenes", "a")])
    assert list(outside.iterdir()) == []


def test_rewriting_unchanged_items_leaves_files_untouched(tmp_path: Path) -> None:
    items = [resource("scenes", "a"), preset()]
    (first,) = [p for p in write_library_folder(tmp_path, items) if p.parent.name == "scenes"]
    os.utime(first, (1, 1))
    write_library_folder(tmp_path, items)
    assert first.stat().st_mtime == 1


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(libraries(max_per_category=3))
def test_any_library_survives_a_round_trip(tmp_path: Path, generated: tuple) -> None:
    resources, checkpoints = generated
    target = tmp_path / f"round_trip_{os.urandom(4).hex()}"
    write_library_folder(target, [*resources, *checkpoints])
    report = read_library_folder(target)
    assert report.errors == []
    expected = sorted(resources, key=lambda r: (CATEGORIES.index(r.category), r.id))
    assert report.items() == [*expected, *sorted(checkpoints, key=lambda c: c.path)]
