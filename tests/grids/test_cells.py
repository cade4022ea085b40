"""Expanding a grid's axes into cells (x fastest) and applying each cell's changes."""

from __future__ import annotations

from gaze.generation_spec import GenerationSpec, LoraSpec
from gaze.grids.axes import parse_grid_request
from gaze.grids.cells import adjusted_spec, cell_preset, expand_cells
from gaze.presets.schema import Preset


def test_cells_run_x_fastest_then_y_then_z() -> None:
    request = parse_grid_request(
        {
            "preset": "p",
            "x": {"axis": "seed", "values": [1, 2, 3]},
            "y": {"axis": "steps", "values": [4, 5]},
            "z": {"axis": "size", "values": ["64x64", "96x64"]},
        }
    )
    cells = expand_cells(request)
    assert [(c.x, c.y, c.z) for c in cells[:7]] == [
        (0, 0, 0), (1, 0, 0), (2, 0, 0), (0, 1, 0), (1, 1, 0), (2, 1, 0), (0, 0, 1)
    ]  # fmt: skip
    assert len(cells) == 12
    last = cells[-1]
    assert (last.seed, last.preset_update, last.size) == (3, {"steps": 5}, (96, 64))
    assert last.labels == {"x": "Seed: 3", "y": "Steps: 5", "z": "Size: 96x64"}


def test_a_lone_y_axis_leaves_x_and_z_at_zero() -> None:
    request = parse_grid_request({"preset": "p", "y": {"axis": "cfg", "values": [1, 2]}})
    assert [(c.x, c.y, c.z, c.preset_update) for c in expand_cells(request)] == [
        (0, 0, 0, {"cfg": 1.0}),
        (0, 1, 0, {"cfg": 2.0}),
    ]


def test_preset_changes_set_sampling_and_fix_slots() -> None:
    preset = Preset.model_validate(
        {"id": "p", "name": "P", "sampler": "euler", "characters": {"mode": "random"}}
    )
    request = parse_grid_request(
        {
            "preset": "p",
            "x": {"axis": "sampler", "values": ["heun"]},
            "y": {"axis": "slot", "slot": "characters", "values": ["mira_holt"]},
            "z": {"axis": "slot", "slot": "detailers", "values": ["sharp"]},
        }
    )
    [cell] = expand_cells(request)
    changed = cell_preset(preset, cell)
    assert changed.sampler == "heun"
    assert (changed.characters.mode, changed.characters.id) == ("fixed", "mira_holt")
    assert changed.detailers.fixed_ids() == ["sharp"]
    assert preset.sampler == "euler" and preset.characters.mode == "random"


def test_spec_changes_weigh_loras_and_replace_prompt_text() -> None:
    spec = GenerationSpec(
        positive="a cat, red cat",
        negative="cat ears",
        checkpoint="c.safetensors",
        loras=(LoraSpec("a.safetensors", 0.8, 0.6),),
    )
    request = parse_grid_request(
        {
            "preset": "p",
            "x": {"axis": "lora_weight", "lora": "a.safetensors", "values": [0.2]},
            "y": {"axis": "lora_weight", "lora": "b.safetensors", "values": [0.5]},
            "z": {"axis": "prompt_sr", "values": ["cat", "dog", "fox"]},
        }
    )
    cells = expand_cells(request)
    first, second = adjusted_spec(spec, cells[0]), adjusted_spec(spec, cells[1])
    assert first.loras == (LoraSpec("a.safetensors", 0.2, 0.2), LoraSpec("b.safetensors", 0.5, 0.5))
    assert (first.positive, first.negative) == ("a cat, red cat", "cat ears")
    assert (second.positive, second.negative) == ("a dog, red dog", "dog ears")
    assert adjusted_spec(spec, cells[2]).positive == "a fox, red fox"
    assert spec.loras == (LoraSpec("a.safetensors", 0.8, 0.6),)
