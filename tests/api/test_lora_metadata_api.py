"""/api/v1/loras adds each local LoRA file's header metadata (issue 16, part 3)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from devkit.server import GazeServer
from devkit.tiny_lora import LORA_RANK, kohya_training_metadata, write_tiny_lora
from gaze.library.lora_listing import LoraMetadataCache, with_metadata
from tests.support.ids import unique_id


def _listed(api: httpx.Client, path: str) -> dict[str, object]:
    loras = api.get("/loras").json()["loras"]
    return next(item for item in loras if item["path"] == path)


def test_a_local_kohya_lora_is_listed_with_its_metadata(
    api: httpx.Client, library_server: GazeServer
) -> None:
    folder = unique_id("meta")
    path = library_server.data_dir / "models" / "loras" / folder / "style.safetensors"
    write_tiny_lora(path, "sdxl", metadata=kohya_training_metadata("sdxl"))

    entry = _listed(api, f"{folder}/style.safetensors")

    assert (entry["name"], entry["backends"]) == ("style", ["local"])
    metadata = entry["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["base_model"] == "sdxl_base_v1-0"
    assert metadata["family"] == "sdxl"
    assert metadata["rank"] == LORA_RANK
    assert metadata["trigger_words"] == ["gazestyle", "1girl", "watercolor"]


def test_the_checkpoints_page_shows_a_loras_base_model_rank_and_trigger_words(
    library_server: GazeServer,
) -> None:
    folder = unique_id("meta")
    path = library_server.data_dir / "models" / "loras" / folder / "shown.safetensors"
    write_tiny_lora(path, "sdxl", metadata=kohya_training_metadata("sdxl"))

    page = httpx.get(f"{library_server.url}/checkpoints", timeout=30)

    assert page.status_code == 200
    row = page.text.split(f"{folder}/shown.safetensors", 1)[1].split("</tr>", 1)[0]
    assert "sdxl" in row and "(sdxl_base_v1-0)" in row
    assert f"<td>{LORA_RANK}" in row
    assert "gazestyle, 1girl, watercolor" in row


def test_a_rewritten_lora_file_is_read_again(api: httpx.Client, library_server: GazeServer) -> None:
    folder = unique_id("meta")
    path = library_server.data_dir / "models" / "loras" / folder / "changing.safetensors"
    write_tiny_lora(path, "sd1", metadata=kohya_training_metadata("sd1"))
    assert _listed(api, f"{folder}/changing.safetensors")["metadata"]["family"] == "sd1"  # type: ignore[index]

    write_tiny_lora(path, "sdxl", metadata=kohya_training_metadata("sdxl"))
    later = path.stat().st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))

    assert _listed(api, f"{folder}/changing.safetensors")["metadata"]["family"] == "sdxl"  # type: ignore[index]


def test_loras_only_comfyui_backends_have_get_null_metadata(tmp_path: Path) -> None:
    metadata = kohya_training_metadata("sd1")
    write_tiny_lora(tmp_path / "loras" / "x.safetensors", "sd1", metadata=metadata)
    write_tiny_lora(tmp_path / "outside.safetensors", "sd1", metadata=metadata)
    entries = [
        {"path": "x.safetensors", "name": "x", "backends": ["http://127.0.0.1:8188"]},
        {"path": "../outside.safetensors", "name": "outside", "backends": ["local"]},
        {"path": "x.safetensors", "name": "x", "backends": ["local"]},
    ]

    listed = with_metadata(entries, tmp_path / "loras", LoraMetadataCache())

    assert [entry["metadata"] is None for entry in listed] == [True, True, False]


def test_saving_a_resource_whose_lora_is_for_an_unknown_model_warns(
    api: httpx.Client, library_server: GazeServer
) -> None:
    folder = unique_id("meta")
    loras = library_server.data_dir / "models" / "loras" / folder
    write_tiny_lora(
        loras / "odd.safetensors", "sd1", metadata={"ss_base_model_version": "mystery_v9"}
    )
    write_tiny_lora(loras / "fine.safetensors", "sd1", metadata=kohya_training_metadata("sd1"))
    style_id = unique_id("odd_style")

    odd = api.post(
        "/styles",
        json={"id": style_id, "name": "Odd", "lora": {"file": f"{folder}/odd.safetensors"}},
    )
    fine = api.patch(f"/styles/{style_id}", json={"lora": {"file": f"{folder}/fine.safetensors"}})

    assert odd.status_code == 201, odd.text
    assert odd.json()["warnings"] == [
        f"lora: file '{folder}/odd.safetensors' was made for 'mystery_v9', "
        "not a model family GAZE runs (sd1, sdxl)"
    ]
    assert fine.status_code == 200, fine.text
    assert "warnings" not in fine.json()
