"""The preset editor's (and Generator's) LoRA rows <-> a preset's own ``loras``."""

from __future__ import annotations

from gaze.web.preset_form import BLANK_LORA_ROWS, editor_state, preset_document


def rows(*cells: tuple[str, str, str, str]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {"id": ["p"], "name": ["P"]}
    for name, column in zip(
        ("file", "weight", "clip_weight", "triggers"), zip(*cells, strict=True), strict=True
    ):
        values[f"loras.{name}"] = list(column)
    return values


def test_rows_with_a_file_become_loras_and_blank_rows_are_skipped() -> None:
    document = preset_document(
        rows(
            ("detail.safetensors", "0.8", "", ""),
            ("", "0.5", "", "ignored"),
            ("styles/ink.safetensors", "0.2..0.9", "0.4", "ink, lineart"),
        )
    )

    assert document["loras"] == [
        {"file": "detail.safetensors", "weight": 0.8},
        {
            "file": "styles/ink.safetensors",
            "weight": {"min": 0.2, "max": 0.9},
            "clip_weight": 0.4,
            "triggers": ["ink", "lineart"],
        },
    ]


def test_no_rows_give_no_loras_and_bad_numbers_are_passed_on() -> None:
    assert "loras" not in preset_document(rows(("", "", "", "")))
    assert preset_document(rows(("a.safetensors", "lots", "", "")))["loras"] == [
        {"file": "a.safetensors", "weight": "lots"}
    ]


def test_the_editor_shows_a_presets_loras_then_blank_rows_and_reads_them_back() -> None:
    stored = [
        {"file": "a.safetensors", "weight": 0.6, "clip_weight": None, "triggers": []},
        {"file": "b.safetensors", "weight": {"min": 0.1, "max": 0.5}, "triggers": ["glow"]},
    ]

    shown = editor_state({"loras": stored})["loras"]

    assert shown[:2] == [
        {"file": "a.safetensors", "weight": "0.6", "clip_weight": "", "triggers": ""},
        {"file": "b.safetensors", "weight": "0.1..0.5", "clip_weight": "", "triggers": "glow"},
    ]
    assert len(shown) == 2 + BLANK_LORA_ROWS
    again = preset_document(rows(*(tuple(row.values()) for row in shown)))  # type: ignore[arg-type]
    assert again["loras"] == [
        {"file": "a.safetensors", "weight": 0.6},
        {"file": "b.safetensors", "weight": {"min": 0.1, "max": 0.5}, "triggers": ["glow"]},
    ]
    assert len(editor_state({})["loras"]) == BLANK_LORA_ROWS
